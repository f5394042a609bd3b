package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.baton.testing.TlsRedis;
import dev.baton.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS configuration: a private redis-server that speaks TLS with a certificate a throwaway CA signed
 * (made by {@code openssl} at test time). A {@code rediss://} client that does not trust the CA gets
 * a {@link RedisConfigurationException} (code {@code TLS}) naming the TLS cause, never "cannot
 * connect"; with the CA file ({@link BatonConfig#redisCaFile()}) it connects and works. Skipped only
 * when this machine cannot run a TLS redis-server (no openssl, or redis-server built without TLS).
 */
class RedisTlsIT {
  private static RedisServer server;

  @BeforeAll
  static void start() {
    server = TlsRedis.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aServerCertificateNotTrustedIsAConfigurationErrorNamingTls() {
    Throwable t = catchThrowable(() -> BatonClient.connect(BatonConfig.builder().redisUri(server.tlsUri()).build())
        .close());

    assertThat(t).isInstanceOf(RedisConfigurationException.class).isNotInstanceOf(RedisUnavailableException.class);
    assertThat(((RedisConfigurationException) t).redisError()).isEqualTo("TLS");
    assertThat(t.getMessage()).contains("TLS handshake failed", "localhost:", "trusted")
        .containsAnyOf("PKIX", "certification path", "unable to find valid").doesNotContain("\n")
        .doesNotContain("cannot connect");
  }

  @Test
  void withTheCaFileTheClientConnectsAndWorks() {
    BatonConfig config = BatonConfig.builder().redisUri(server.tlsUri()).redisCaFile(server.caFile()).build();
    try (BatonClient baton = BatonClient.connect(config)) {
      String id = baton.dispatcher().enqueue(TaskRequest.builder("tls").build()).id();
      assertThat(baton.inspector().task(id).state()).isEqualTo(TaskState.QUEUED);
    }
  }

  @Test
  void aCaFileThatIsNoCertificateIsAConfigurationErrorNamingTls() throws Exception {
    Path junk = Files.createTempFile("baton-ca-", ".pem");
    try {
      Files.writeString(junk, "not a certificate\n");
      BatonConfig config = BatonConfig.builder().redisUri(server.tlsUri()).redisCaFile(junk).build();

      Throwable t = catchThrowable(() -> BatonClient.connect(config).close());

      assertThat(t).isInstanceOf(RedisConfigurationException.class);
      assertThat(((RedisConfigurationException) t).redisError()).isEqualTo("TLS");
    } finally {
      Files.deleteIfExists(junk);
    }
  }

  @Test
  void aCaFileIsRefusedWithAPlainUriOrWhenUnreadable() {
    assertThat(catchThrowable(() -> BatonConfig.builder().redisUri(server.uri()).redisCaFile(server.caFile())
        .build())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rediss://");
    assertThat(catchThrowable(() -> BatonConfig.builder().redisUri(server.tlsUri())
        .redisCaFile(Path.of("/nonexistent/ca.pem")).build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/nonexistent/ca.pem");
  }
}
