package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.TlsRedis;
import dev.baton.testkit.RedisServer;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A {@code rediss://} server whose certificate is not trusted exits with {@link
 * ExitCodes#REDIS_CONFIGURATION} and a one-line message naming the TLS cause, not with "Redis
 * unreachable"; {@code --redis-ca-file} (or {@code BATON_REDIS_CA_FILE}) makes it trusted. A private
 * redis-server with TLS and a throwaway CA; skipped only when this machine cannot run one.
 */
class RedisTlsCliIT {
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
  void anUntrustedCertificateExitsWithTheConfigurationCodeNamingTls() {
    for (String[] args : new String[][] {{"--redis", server.tlsUri(), "stats"},
        {"--redis", server.tlsUri(), "worker", "--queue", "q", "--exec", "true"}}) {
      Cli.Result r = Cli.runRaw(args);

      assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.REDIS_CONFIGURATION);
      assertThat(r.err().strip()).startsWith("baton: Redis at " + server.tlsUri() + ": the TLS handshake failed")
          .contains("PKIX").doesNotContain("\n").doesNotContain("unreachable");
    }
  }

  @Test
  void theCaFileMakesTheServerTrusted() {
    Cli.Result flag = Cli.runRaw("--redis", server.tlsUri(), "--redis-ca-file", server.caFile().toString(), "stats");
    assertThat(flag.exitCode()).as(flag.err()).isZero();

    Cli.Result env = Cli.runRaw(Map.of("BATON_REDIS_CA_FILE", server.caFile().toString()), "--redis",
        server.tlsUri(), "enqueue", "--queue", "tls", "--payload", "{}");
    assertThat(env.exitCode()).as(env.err()).isZero();
  }

  @Test
  void aCaFileWithAPlainUrlIsAUsageError() {
    Cli.Result r = Cli.runRaw("--redis", server.uri(), "--redis-ca-file", server.caFile().toString(), "stats");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("rediss://");
  }
}
