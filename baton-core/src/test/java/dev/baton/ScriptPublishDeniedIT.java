package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.BreakerScripts;
import dev.baton.internal.scripts.DeadLetterScripts;
import dev.baton.internal.scripts.RecoveryScripts;
import dev.baton.internal.scripts.SchedulingScripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.testing.ScriptDriver;
import dev.baton.resilience.BreakerConfig;
import dev.baton.testkit.RedisServer;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, item 5: a PUBLISH that Redis refuses (an ACL user without the finished channel) after
 * a script wrote an outcome must neither leave the data half-changed nor be misreported as a lost
 * attempt. The scripts PUBLISH last, through redis.pcall: the writes stand, and the reply says
 * "written, not notified". The state is seeded as the default user; the scripts run as {@code
 * limited}, which may touch every key and run every command but publish only to {@code nothing}.
 */
class ScriptPublishDeniedIT {
  private static final String Q = "acl";
  private static final String ME = "w";
  private static RedisServer server;

  private String prefix;
  private RedisBroker admin;
  private RedisBroker limited;
  private RedisClient rawClient;
  private RedisCommands<String, String> raw;
  private Keys k;

  @BeforeAll
  static void startServer() {
    Assumptions.assumeTrue(RedisServer.binary() != null, "redis-server is not installed");
    server = RedisServer.builder().config("user", "limited", "on", ">pw", "~*", "&nothing", "+@all").start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void connect() {
    prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    admin = new RedisBroker(BatonConfig.builder().redisUri(server.uri()).keyPrefix(prefix).build());
    limited = new RedisBroker(BatonConfig.builder().redisUri("redis://limited:pw@127.0.0.1:" + server.port())
        .keyPrefix(prefix).build());
    rawClient = RedisClient.create(server.uri());
    StatefulRedisConnection<String, String> c = rawClient.connect();
    raw = c.sync();
    k = admin.keys();
  }

  @AfterEach
  void close() {
    limited.close();
    admin.close();
    rawClient.shutdown();
  }

  private String enqueue() {
    String id = UUID.randomUUID().toString();
    admin.await(new dev.baton.internal.scripts.EnqueueScripts(admin).enqueue(Q,
        List.of(new dev.baton.internal.scripts.EnqueueScripts.NewTask(id, "{}", 3, 0, 0, 0, "", "", "", 0)), 60_000));
    return id;
  }

  private TaskScripts.Held running() {
    String id = enqueue();
    return ScriptDriver.attempt(id, ScriptDriver.startAs(admin, raw, Q, ME, 1).get(id));
  }

  private long stat(String field) {
    String v = raw.hget(k.stats(Q), field);
    return v == null ? 0 : Long.parseLong(v);
  }

  @Test
  void aDeadLetterWhosePublishIsRefusedIsWrittenWholeAndReportedUnnotifiedNotAsALostAttempt() {
    TaskScripts.Held h = running();

    TaskScripts.Written w = new TaskScripts(limited).fail(Q, h, TaskScripts.FailMode.DEAD, 0, "{\"a\":1}", "boom");

    assertThat(w.status()).isEqualTo(ScriptStatus.OK);
    assertThat(w.state()).isEqualTo("dead");
    assertThat(w.unnotified()).contains("publish");
    Map<String, String> rec = raw.hgetall(k.task(Q, h.id()));
    assertThat(rec).containsEntry("st", "dead").containsEntry("why", "boom").doesNotContainKey("eid");
    assertThat(raw.zscore(k.dead(Q), h.id())).isNotNull();
    assertThat(stat("dead")).isEqualTo(1);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xlen(k.stream(Q))).isZero();
    // a retry of the same write is refused truthfully: the task is dead, written once
    TaskScripts.Written again = new TaskScripts(limited).fail(Q, h, TaskScripts.FailMode.DEAD, 0, "{}", "boom");
    assertThat(again).isEqualTo(new TaskScripts.Written(ScriptStatus.NOT_HELD, "dead", 0));
    assertThat(stat("dead")).isEqualTo(1);
  }

  @Test
  void aRetryNeedsNoPublishAndIsNotAffected() {
    TaskScripts.Held h = running();

    TaskScripts.Written w = new TaskScripts(limited).fail(Q, h, TaskScripts.FailMode.RETRY, 0, "{\"a\":1}", "");

    assertThat(w).isEqualTo(new TaskScripts.Written(ScriptStatus.OK, "retrying", 0));
    assertThat(raw.zscore(k.delayed(Q), h.id())).isNotNull();
  }

  @Test
  void successesWhosePublishIsRefusedAreRecordedAndReportedUnnotified() {
    TaskScripts.Held a = running();
    TaskScripts.Held b = running();

    TaskScripts.CompleteReplies r = limited.await(new TaskScripts(limited).complete(Q, 60_000, List.of(
        new TaskScripts.Succeeded(a, "1", "{\"a\":1}"), new TaskScripts.Succeeded(b, "2", "{\"a\":1}"))));

    assertThat(r.status(0)).isEqualTo(ScriptStatus.OK);
    assertThat(r.status(1)).isEqualTo(ScriptStatus.OK);
    assertThat(r.unnotified(0)).contains("publish");
    assertThat(r.unnotified(1)).contains("publish");
    assertThat(raw.hget(k.task(Q, a.id()), "st")).isEqualTo("succeeded");
    assertThat(raw.hget(k.task(Q, b.id()), "r")).isEqualTo("2");
    assertThat(stat("succeeded")).isEqualTo(2);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
  }

  @Test
  void aCancelWhosePublishIsRefusedIsWrittenWhole() {
    String id = enqueue();

    DeadLetterScripts.Cancel c = new DeadLetterScripts(limited).cancel(Q, id, 60_000);

    assertThat(c.cancelled()).isTrue();
    assertThat(c.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(raw.hget(k.task(Q, id), "st")).isEqualTo("cancelled");
    assertThat(raw.xlen(k.stream(Q))).isZero();
    assertThat(stat("cancelled")).isEqualTo(1);
  }

  @Test
  void aDeadLetterAtStartWhosePublishIsRefusedIsWrittenWhole() {
    String id = enqueue();
    String eid = raw.xreadgroup(Consumer.from(Keys.GROUP, ME), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)))
        .get(0).getId();
    raw.hset(k.task(Q, id), "att", "3");

    TaskScripts.StartReplies r = new TaskScripts(limited).start(Q, ME, List.of(eid), List.of(id));

    assertThat(r.status(0)).isEqualTo(ScriptStatus.DEAD_LETTERED);
    assertThat(r.unnotified(0)).contains("publish");
    assertThat(raw.hget(k.task(Q, id), "st")).isEqualTo("dead");
    assertThat(raw.zscore(k.dead(Q), id)).isNotNull();
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
  }

  @Test
  void aPoisonTaskWhosePublishIsRefusedIsDeadLetteredWhole() throws Exception {
    TaskScripts.Held h = running();
    Thread.sleep(5); // idle past the 1 ms lease

    RecoveryScripts.Recovered r = new RecoveryScripts(limited).recover(Q, 1, 1, 0.5,
        List.of(new RecoveryScripts.StaleEntry(h.entryId(), h.id())));

    assertThat(r.deadIds()).containsExactly(h.id());
    assertThat(raw.hget(k.task(Q, h.id()), "st")).isEqualTo("dead");
    assertThat(raw.zscore(k.dead(Q), h.id())).isNotNull();
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(stat("dead")).isEqualTo(1);
  }

  @Test
  void aTaskEndedPastItsMaxWaitWhosePublishIsRefusedIsDeadLetteredWhole() throws Exception {
    String id = UUID.randomUUID().toString();
    admin.await(new dev.baton.internal.scripts.EnqueueScripts(admin).enqueue(Q,
        List.of(new dev.baton.internal.scripts.EnqueueScripts.NewTask(id, "{}", 3, 0, 0, 0, "", "", "", 1)), 60_000));
    TaskScripts.Held h = ScriptDriver.attempt(id, ScriptDriver.startAs(admin, raw, Q, ME, 1).get(id));
    new TaskScripts(admin).park(Q, h, "dep", TaskScripts.ParkKind.UNAVAILABLE, "down", 0);
    Thread.sleep(5); // past its 1 ms max wait

    SchedulingScripts.Unparked u = new SchedulingScripts(limited).unpark(Q,
        new SchedulingScripts.Unpark("dep", true, "g", 10, 1_000, 0, 1_000), List.of(id));

    assertThat(u.endedIds()).containsExactly(id);
    assertThat(raw.hget(k.task(Q, id), "st")).isEqualTo("dead");
    assertThat(raw.zscore(k.dead(Q), id)).isNotNull();
    assertThat(raw.zscore(k.parked(Q), id)).isNull();
    assertThat(raw.hget(k.parking(Q), "n:dep")).isEqualTo("0");
  }

  @Test
  void aBreakerTransitionWhosePublishIsRefusedIsAppliedWhole() {
    String dep = "llm:acl";
    raw.hset(k.breaker(dep), Map.of("st", "half_open", "gen", "1", "since", "0", "ok", "0"));
    raw.zadd(k.breakerProbes(dep), Long.MAX_VALUE / 2, "p1");

    BreakerScripts.Recorded r = new BreakerScripts(limited).record(dep, BreakerConfig.builder().build(), 1, "p1",
        BreakerScripts.Outcome.FAILURE, false, Duration.ofSeconds(10));

    assertThat(r.status()).isEqualTo(ScriptStatus.OK);
    assertThat(raw.hget(k.breaker(dep), "st")).isEqualTo("open");
    assertThat(raw.hget(k.breaker(dep), "gen")).isEqualTo("2");
    assertThat(raw.xlen(k.breakerEvents(dep))).isEqualTo(1); // the event is written; only the PUBLISH was refused
  }
}
