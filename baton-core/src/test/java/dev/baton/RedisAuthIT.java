package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.baton.testing.AuthRedis;
import dev.baton.testkit.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Authentication and permission refusals are configuration errors that say so, not "cannot
 * connect": a private redis-server with {@code requirepass} and an ACL user limited to other keys.
 * A wrong password ({@code WRONGPASS}), a missing one ({@code NOAUTH}) and a command on keys the
 * user may not touch ({@code NOPERM}) each throw {@link RedisConfigurationException} naming the
 * Redis error, never {@link RedisUnavailableException}, and the message never holds the password.
 */
class RedisAuthIT {
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

  private static BatonConfig config(String userInfo) {
    return BatonConfig.builder().redisUri("redis://" + userInfo + "127.0.0.1:" + server.port()).build();
  }

  @Test
  void aWrongPasswordIsAConfigurationErrorNamingWrongpass() {
    Throwable t = catchThrowable(() -> BatonClient.connect(config(":not-the-password@")).close());

    assertThat(t).isInstanceOf(RedisConfigurationException.class).isNotInstanceOf(RedisUnavailableException.class);
    assertThat(((RedisConfigurationException) t).redisError()).isEqualTo("WRONGPASS");
    assertThat(t.getMessage()).contains("WRONGPASS", "password", "127.0.0.1:" + server.port())
        .doesNotContain("not-the-password").doesNotContain("cannot connect");
  }

  @Test
  void noPasswordWhereOneIsRequiredIsAConfigurationErrorNamingNoauth() {
    Throwable t = catchThrowable(() -> BatonClient.connect(config("")).close());

    assertThat(t).isInstanceOf(RedisConfigurationException.class);
    assertThat(((RedisConfigurationException) t).redisError()).isEqualTo("NOAUTH");
    assertThat(t.getMessage()).contains("NOAUTH", "requires a password");
  }

  @Test
  void anAclUserWithoutBatonsKeysGetsAConfigurationErrorNamingNoperm() {
    try (BatonClient baton = BatonClient.connect(config("limited:limited-pw@"))) {
      Throwable t = catchThrowable(() -> baton.dispatcher().enqueue(TaskRequest.builder("agent").build()));

      assertThat(t).isInstanceOf(RedisConfigurationException.class);
      assertThat(((RedisConfigurationException) t).redisError()).isEqualTo("NOPERM");
      assertThat(t.getMessage()).contains("NOPERM", "prefix 'baton:'").doesNotContain("limited-pw");
    }
  }

  @Test
  void theRightPasswordWorks() {
    try (BatonClient baton = BatonClient.connect(config(":s3cret-admin@"))) {
      String id = baton.dispatcher().enqueue(TaskRequest.builder("agent").build()).id();
      assertThat(baton.inspector().task(id).state()).isEqualTo(TaskState.QUEUED);
    }
  }
}
