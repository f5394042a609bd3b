package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.AuthRedis;
import dev.baton.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Refused credentials and permissions exit with {@link ExitCodes#REDIS_CONFIGURATION} and a
 * message that names the Redis error, not with "Redis unreachable": a private redis-server with
 * {@code requirepass} and an ACL user limited to other keys.
 */
class RedisAuthCliIT {
  private static RedisServer server;

  @BeforeAll
  static void start() {
    server = AuthRedis.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static String url(String userInfo) {
    return "redis://" + userInfo + "127.0.0.1:" + server.port();
  }

  @Test
  void aWrongPasswordExitsWithTheConfigurationCode() {
    Cli.Result r = Cli.runRaw("--redis", url(":wrong-password@"), "stats");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.REDIS_CONFIGURATION);
    assertThat(r.err()).startsWith("baton: Redis at redis://127.0.0.1:" + server.port())
        .contains("WRONGPASS").doesNotContain("wrong-password").doesNotContain("unreachable");
  }

  @Test
  void aMissingPasswordExitsWithTheConfigurationCode() {
    Cli.Result r = Cli.runRaw("--redis", url(""), "enqueue", "--queue", "agent", "--payload", "{}");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.REDIS_CONFIGURATION);
    assertThat(r.err()).contains("NOAUTH");
  }

  @Test
  void aForbiddenCommandExitsWithTheConfigurationCode() {
    Cli.Result r = Cli.runRaw("--redis", url("limited:limited-pw@"), "enqueue", "--queue", "agent", "--payload", "{}");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.REDIS_CONFIGURATION);
    assertThat(r.err()).contains("NOPERM");
  }
}
