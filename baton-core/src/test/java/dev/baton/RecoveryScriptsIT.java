package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.RecoveryScripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.internal.server.Promoter;
import dev.baton.internal.server.Recoverer;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.ScriptDriver;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Leases, heartbeats, recovery and fencing, driven script by script: a "ghost" consumer reads and
 * starts tasks as a worker would and then never reports (it crashed); the recoverer is run by hand
 * with a 1 ms lease, so nothing waits on a clock.
 */
class RecoveryScriptsIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "rec";
  private static final Duration TINY_LEASE = Duration.ofMillis(1);

  private BatonClient baton;
  private RedisBroker broker;
  private Keys k;
  private RedisCommands<String, String> raw;

  private void setUp() {
    baton = redis.client();
    broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    k = broker.keys();
    raw = redis.raw();
  }

  private Map<String, String[]> startAs(String consumer, int n) {
    return ScriptDriver.startAs(broker, raw, Q, consumer, n);
  }

  private void recover(int maxDeliveries) {
    new Recoverer(broker, List.of(new Recoverer.Target(Q, TINY_LEASE, maxDeliveries)), Duration.ZERO).runOnce();
  }

  private void promoteDue() throws InterruptedException {
    awaitIdle();
    new Promoter(broker, List.of(Q), Duration.ZERO).runOnce();
  }

  private long requeued() {
    String v = raw.hget(k.stats(Q), "recovered");
    return v == null ? 0 : Long.parseLong(v);
  }

  private List<ScriptStatus> renew(String consumer, String id, String[] held) {
    return broker.await(new TaskScripts(broker).renew(Q, consumer, List.of(ScriptDriver.attempt(id, held))));
  }

  /** The status of this one task's complete call. */
  private ScriptStatus complete(String id, String[] held) {
    return ScriptDriver.complete(broker, Q, List.of(id), Map.of(id, held), "\"stale\"",
        "{\"a\":1,\"w\":\"ghost\",\"s\":0,\"f\":0}").status(0);
  }

  private void awaitIdle() throws InterruptedException {
    Thread.sleep(5); // entries must be idle longer than the 1 ms lease (Redis-side idle time)
  }

  @Test
  void aTaskWhoseHolderDiedIsRequeuedUnderANewEntryAndItsAttemptIsNotCounted() throws Exception {
    setUp();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    String[] held = startAs("ghost", 1).get(id);
    awaitIdle();

    recover(5);

    Map<String, String> rec = raw.hgetall(k.task(Q, id));
    assertThat(rec).containsEntry("st", "queued").containsEntry("att", "0").containsEntry("dlv", "1")
        .containsEntry("nol", "1").doesNotContainKey("own");
    assertThat(rec.get("eid")).isNotEqualTo(held[0]);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xrange(k.stream(Q), io.lettuce.core.Range.create("-", "+"))).extracting(StreamMessage::getId)
        .containsExactly(rec.get("eid"));
  }

  @Test
  void theOldHoldersWritesAreRefusedAfterATakeOver() throws Exception {
    setUp();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    String[] ghost = startAs("ghost", 1).get(id);
    awaitIdle();
    recover(5);
    String[] live = startAs("live", 1).get(id);
    Map<String, String> before = raw.hgetall(k.task(Q, id));

    // F5: the old holder's heartbeat must not steal the entry back
    assertThat(renew("ghost", id, ghost)).containsExactly(ScriptStatus.NOT_HELD);
    // F4/F10: nor may its completion be accepted
    assertThat(complete(id, ghost)).isEqualTo(ScriptStatus.NOT_HELD);

    assertThat(raw.hgetall(k.task(Q, id))).isEqualTo(before);
    var pel = raw.xpending(k.stream(Q), Keys.GROUP, io.lettuce.core.Range.create("-", "+"), io.lettuce.core.Limit.from(10));
    assertThat(pel).hasSize(1);
    assertThat(pel.get(0).getConsumer()).isEqualTo("live");
    assertThat(pel.get(0).getId()).isEqualTo(live[0]);
    // the current holder renews and completes normally
    assertThat(renew("live", id, live)).containsExactly(ScriptStatus.OK);
    assertThat(complete(id, live)).isEqualTo(ScriptStatus.OK);
    assertThat(raw.hget(k.task(Q, id), "st")).isEqualTo("succeeded");
  }

  @Test
  void aHeartbeatKeepsTheLeaseSoTheRecovererLeavesTheTaskAlone() throws Exception {
    setUp();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    String[] held = startAs("alive", 1).get(id);
    awaitIdle();
    // renewing resets the idle time: a recoverer with a long lease must not take it
    assertThat(renew("alive", id, held)).containsExactly(ScriptStatus.OK);
    Recoverer r = new Recoverer(broker, List.of(new Recoverer.Target(Q, Duration.ofSeconds(30), 5)), Duration.ZERO);
    r.runOnce();
    assertThat(raw.hget(k.task(Q, id), "st")).isEqualTo("running");
    assertThat(raw.hget(k.task(Q, id), "eid")).isEqualTo(held[0]);
    assertThat(requeued()).isZero();
  }

  @Test
  void aTaskDeliveredMaxDeliveriesTimesWithoutAnOutcomeIsDeadLetteredAsPoison() throws Exception {
    setUp();
    String poison = baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(3).build()).id();
    for (int delivery = 1; delivery <= 5; delivery++) {
      promoteDue(); // from the second takeover on, a suspect waits in the delayed set (up to 1 ms here)
      assertThat(startAs("crasher-" + delivery, 1)).containsKey(poison);
      awaitIdle();
      recover(5);
    }
    TaskInfo dead = baton.inspector().task(poison);
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.deadReason()).isEqualTo("max deliveries exceeded: 5 deliveries ended without an outcome");
    assertThat(dead.deliveries()).isEqualTo(5);
    assertThat(raw.zscore(k.dead(Q), poison)).isNotNull();
    assertThat(raw.xlen(k.stream(Q))).isZero();
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
  }

  /**
   * Tasks taken over together sit side by side and are fetched together again: if one of them is a
   * poison task, its neighbours die with it each time. From the second takeover on, suspects wait
   * in the delayed set for spread-out times within the lease, so they are fetched apart.
   */
  @Test
  void suspectsTakenOverTogetherASecondTimeAreSpreadApartInTheDelayedSet() throws Exception {
    setUp();
    Duration lease = Duration.ofSeconds(10);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id());
    }
    Recoverer recoverer = new Recoverer(broker, List.of(new Recoverer.Target(Q, lease, 5)), Duration.ZERO);
    for (int takeover = 1; takeover <= 2; takeover++) {
      Map<String, String[]> held = startAs("crasher-" + takeover, 4);
      assertThat(held.keySet()).containsExactlyInAnyOrderElementsOf(ids);
      // the holder "died" 20 s ago: XCLAIM ... IDLE sets the entries' idle time past the 10 s lease
      for (String[] h : held.values()) {
        raw.xclaim(k.stream(Q), Consumer.from(Keys.GROUP, "crasher-" + takeover), XClaimArgs.Builder.justid()
            .idle(Duration.ofSeconds(20)), h[0]);
      }
      long before = raw.time().stream().findFirst().map(Long::parseLong).orElseThrow() * 1000;
      recoverer.runOnce();
      if (takeover == 1) {
        // a first takeover puts them straight back in the stream
        assertThat(raw.xlen(k.stream(Q))).isEqualTo(4);
        assertThat(raw.zcard(k.delayed(Q))).isZero();
        continue;
      }
      assertThat(raw.xlen(k.stream(Q))).isZero();
      List<Double> due = new ArrayList<>();
      for (String id : ids) {
        assertThat(raw.hget(k.task(Q, id), "st")).isEqualTo("scheduled");
        assertThat(raw.hget(k.task(Q, id), "nol")).isEqualTo("2");
        assertThat(raw.hget(k.task(Q, id), "att")).isEqualTo("0");
        Double score = raw.zscore(k.delayed(Q), id);
        assertThat(score).isBetween((double) before, before + lease.toMillis() + 1000.0);
        due.add(score);
      }
      due.sort(Double::compare);
      for (int i = 1; i < due.size(); i++) {
        assertThat(due.get(i) - due.get(i - 1)).as("gap between suspects' due times, ms").isGreaterThan(1000.0);
      }
    }
  }

  @Test
  void racingRecoverersRequeueEachTaskExactlyOnce() throws Exception {
    setUp();
    int n = 300;
    List<TaskRequest> reqs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      reqs.add(TaskRequest.builder(Q).build());
    }
    baton.dispatcher().enqueueAll(reqs);
    assertThat(startAs("ghost", n)).hasSize(n);
    awaitIdle();

    List<RedisBroker> brokers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      brokers.add(redis.closeAfter(new RedisBroker(redis.config().build())));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Object>> racers = new ArrayList<>();
      for (RedisBroker b : brokers) {
        racers.add(() -> new Recoverer(b, List.of(new Recoverer.Target(Q, TINY_LEASE, 5)), Duration.ZERO).runOnce());
      }
      for (Future<Object> f : pool.invokeAll(racers)) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(requeued()).isEqualTo(n);
    assertThat(raw.xlen(k.stream(Q))).isEqualTo(n);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    for (StreamMessage<String, String> e : raw.xrange(k.stream(Q), io.lettuce.core.Range.create("-", "+"))) {
      Map<String, String> rec = raw.hgetall(k.task(Q, e.getBody().get("t")));
      assertThat(rec).containsEntry("st", "queued").containsEntry("eid", e.getId()).containsEntry("nol", "1");
    }
  }

  @Test
  void anEntryDeletedWhilePendingNeverReachesAHandlerAndIsRecordedAsLost() throws Exception {
    setUp();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    String[] held = startAs("ghost", 1).get(id);
    raw.xdel(k.stream(Q), held[0]); // a raw trim outside Baton
    awaitIdle();

    recover(5);

    String tombstone = "entry-" + held[0];
    assertThat(raw.hget(k.task(Q, tombstone), "st")).isEqualTo("dead");
    assertThat(raw.hget(k.task(Q, tombstone), "why")).contains("deleted while pending");
    assertThat(raw.zscore(k.dead(Q), tombstone)).isNotNull();
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
  }

  @Test
  void anEntryDeliveredButNeverStartedIsRequeuedWithoutCountingAnything() throws Exception {
    setUp();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    // F2/F13: read by a consumer that died before running start (or whose reply was lost)
    raw.xreadgroup(Consumer.from(Keys.GROUP, "ghost"), XReadArgs.Builder.count(1),
        XReadArgs.StreamOffset.lastConsumed(k.stream(Q)));
    awaitIdle();

    recover(5);

    assertThat(raw.hgetall(k.task(Q, id))).containsEntry("st", "queued").containsEntry("att", "0")
        .containsEntry("dlv", "0").doesNotContainKey("nol");
    assertThat(raw.xlen(k.stream(Q))).isEqualTo(1);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
  }

  @Test
  void theAuditPutsARecordMissingFromTheSetOfItsStateBackWithItsTime() throws Exception {
    setUp();
    TaskScripts scripts = new TaskScripts(broker);
    String retrying = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    scripts.fail(Q, ScriptDriver.attempt(retrying, startAs("w", 1).get(retrying)), TaskScripts.FailMode.RETRY,
        60_000, "{\"a\":1}", "");
    String parked = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    scripts.park(Q, ScriptDriver.attempt(parked, startAs("w", 1).get(parked)), "dep",
        TaskScripts.ParkKind.UNAVAILABLE, "down", 60_000);
    String dead = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    scripts.fail(Q, ScriptDriver.attempt(dead, startAs("w", 1).get(dead)), TaskScripts.FailMode.DEAD, 0,
        "{\"a\":1}", "boom");
    String scheduled = baton.dispatcher().enqueue(TaskRequest.builder(Q).delay(Duration.ofHours(1)).build()).id();
    String intact = baton.dispatcher().enqueue(TaskRequest.builder(Q).delay(Duration.ofHours(1)).build()).id();
    // raw edits outside Baton: members removed from their sets, one due time garbled
    raw.zrem(k.delayed(Q), retrying, scheduled);
    raw.zrem(k.parked(Q), parked);
    raw.zrem(k.dead(Q), dead);
    raw.hset(k.task(Q, scheduled), "sa", "soon");
    Map<String, Map<String, String>> before = new java.util.HashMap<>();
    for (String id : List.of(retrying, parked, dead, scheduled, intact)) {
      before.put(id, raw.hgetall(k.task(Q, id)));
    }
    long t0 = broker.serverTimeMillis();

    RecoveryScripts.Audited a = new RecoveryScripts(broker).audit(Q,
        List.of(k.task(Q, retrying), k.task(Q, parked), k.task(Q, dead), k.task(Q, scheduled), k.task(Q, intact)));

    assertThat(a.deadIds()).isEmpty();
    assertThat(a.repairedIds()).containsExactly(retrying, parked, dead, scheduled);
    assertThat(raw.zscore(k.delayed(Q), retrying)).isEqualTo(Double.parseDouble(before.get(retrying).get("sa")));
    assertThat(raw.zscore(k.parked(Q), parked)).isEqualTo(Double.parseDouble(before.get(parked).get("sa")));
    assertThat(raw.zscore(k.dead(Q), dead)).isEqualTo(Double.parseDouble(before.get(dead).get("ft")));
    assertThat(raw.zscore(k.delayed(Q), scheduled)).isBetween((double) t0, (double) broker.serverTimeMillis());
    for (String id : List.of(retrying, parked, dead, scheduled, intact)) {
      assertThat(raw.hgetall(k.task(Q, id))).as(id).isEqualTo(before.get(id)); // the records are not changed
    }
    assertThat(raw.hget(k.stats(Q), "dead")).isEqualTo("1"); // a repair counts nothing
    // a second pass finds nothing to do
    assertThat(new RecoveryScripts(broker).audit(Q, List.of(k.task(Q, retrying), k.task(Q, scheduled))).repairedIds())
        .isEmpty();
  }
}
