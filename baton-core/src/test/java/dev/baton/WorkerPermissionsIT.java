package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.internal.broker.Keys;
import dev.baton.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A worker whose Redis user may not run what a worker needs fails at start, naming what is refused,
 * before it reads anything: the queued task stays queued for a worker that can run it.
 */
class WorkerPermissionsIT {
  private static final String Q = "agents";
  private static RedisServer server;

  @BeforeAll
  static void start() {
    Assumptions.assumeTrue(RedisServer.binary() != null || "true".equalsIgnoreCase(System.getenv("CI")),
        "redis-server is not installed");
    server = RedisServer.builder().config("requirepass", "admin-pw")
        .config("user", "noeval", "on", ">pw", "~*", "&*", "+@all", "-evalsha")
        .config("user", "nohset", "on", ">pw", "~*", "&*", "+@all", "-hset")
        .config("user", "noacl", "on", ">pw", "~*", "&*", "+@all", "-evalsha", "-acl")
        .config("user", "full", "on", ">pw", "~*", "&*", "+@all")
        .start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static BatonClient as(String user, String prefix) {
    String auth = user == null ? ":admin-pw" : user + ":pw";
    return BatonClient.connect(BatonConfig.builder()
        .redisUri("redis://" + auth + "@127.0.0.1:" + server.port()).keyPrefix(prefix).build());
  }

  /** Entries the group has delivered and not acknowledged. */
  private static long pending(String prefix) {
    RedisClient rc = RedisClient.create("redis://:admin-pw@127.0.0.1:" + server.port());
    try (StatefulRedisConnection<String, String> c = rc.connect()) {
      return c.sync().xpending(new Keys(prefix).stream(Q), Keys.GROUP).getCount();
    } finally {
      rc.shutdown();
    }
  }

  @Test
  void aUserThatMayNotRunScriptsFailsAtStartNamingEvalshaAndReadsNothing() {
    try (BatonClient admin = as(null, "p1"); BatonClient worker = as("noeval", "p1")) {
      String id = admin.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
      Worker w = Worker.builder(worker).handle(Q, ctx -> "ok").build();
      assertThatThrownBy(w::start).isInstanceOf(RedisConfigurationException.class)
          .hasMessageContaining("'noeval'").hasMessageContaining("EVALSHA");
      assertThat(admin.inspector().task(id).state()).isEqualTo(TaskState.QUEUED);
      assertThat(pending("p1")).isZero();
    }
  }

  @Test
  void aCommandRefusedOnlyInsideTheScriptsIsFoundByTheDryRun() {
    try (BatonClient worker = as("nohset", "p2")) {
      Worker w = Worker.builder(worker).handle(Q, ctx -> "ok").build();
      assertThatThrownBy(w::start).isInstanceOf(RedisConfigurationException.class)
          .hasMessageContaining("'nohset'").hasMessageContaining("HSET")
          .satisfies(e -> assertThat(((RedisConfigurationException) e).redisError()).isEqualTo("NOPERM"));
    }
  }

  @Test
  void withoutTheRightToAskTheAclARealReadOnlyScriptStillFindsTheRefusal() {
    try (BatonClient worker = as("noacl", "p3")) {
      Worker w = Worker.builder(worker).handle(Q, ctx -> "ok").build();
      assertThatThrownBy(w::start).isInstanceOf(RedisConfigurationException.class)
          .hasMessageContaining("NOPERM");
    }
  }

  @Test
  void aUserWithEveryPermissionStartsAndRunsTasks() throws Exception {
    try (BatonClient worker = as("full", "p4");
         Worker w = Worker.builder(worker).handle(Q, ctx -> "ok").build().start()) {
      String id = worker.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
      assertThat(worker.dispatcher().awaitResult(id, Duration.ofSeconds(20)).state()).isEqualTo(TaskState.SUCCEEDED);
    }
  }
}
