package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.BreakerScripts;
import dev.baton.internal.scripts.DeadLetterScripts;
import dev.baton.internal.scripts.EnqueueScripts;
import dev.baton.internal.scripts.LimitScripts;
import dev.baton.internal.scripts.RecoveryScripts;
import dev.baton.internal.scripts.SchedulingScripts;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.internal.scripts.WrongKeyTypeException;
import dev.baton.resilience.BreakerConfig;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.ScriptDriver;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 11, item 5: no script fails half-applied. Redis does not roll back a script that errors
 * after a write, so every script reads or type-checks each key it writes before its first write.
 * One row per (script, key it writes): the queue is brought to a state where the script writes that
 * key, the key is then replaced by a value of another type (a string where a hash, sorted set or
 * stream belongs; a hash where the dedup string belongs), and the script is run through its gateway.
 * The call must fail with a {@link WrongKeyTypeException} naming the script and the key, and every
 * key of the test's prefix must be exactly as before (type, DUMP, whether it has a TTL).
 */
class ScriptWrongTypeIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "wt";
  private static final String ME = "w";
  private static final String LIMIT = "llm";
  private static final String DEP = "llm:model";

  /** A prepared call: the key to break and the gateway call to make. */
  record Call(String key, Runnable run) {}

  /** One row of the table. */
  record Row(String script, String role, Function<Env, Call> prepare) {
    @Override
    public String toString() {
      return script + ".lua / " + role;
    }
  }

  static Stream<Row> rows() {
    return Stream.of(
        // enqueue: task, stream, delayed, dedup, stats
        new Row("enqueue", "task", e -> new Call(e.k.task(Q, "t1"), () -> e.enqueue("t1", 0, ""))),
        new Row("enqueue", "stream", e -> new Call(e.k.stream(Q), () -> e.enqueue("t1", 0, ""))),
        new Row("enqueue", "delayed", e -> new Call(e.k.delayed(Q), () -> e.enqueue("t1", 60_000, ""))),
        new Row("enqueue", "dedup", e -> new Call(e.k.dedup(Q, "d1"), () -> e.enqueue("t1", 0, "d1"))),
        new Row("enqueue", "stats", e -> new Call(e.k.stats(Q), () -> e.enqueue("t1", 0, ""))),
        // start: task (read), stream (skip/dead), dead and stats (dead-letter)
        new Row("start", "task", e -> e.startCall(null, false)),
        new Row("start", "stream", e -> e.startCall(Keys::stream, true)),
        new Row("start", "dead", e -> e.startCall(Keys::dead, true)),
        new Row("start", "stats", e -> e.startCall(Keys::stats, true)),
        // complete: task, stream, stats
        new Row("complete", "task", e -> e.completeCall(null)),
        new Row("complete", "stream", e -> e.completeCall(Keys::stream)),
        new Row("complete", "stats", e -> e.completeCall(Keys::stats)),
        // fail: task, stream, delayed (retry), dead (dead), stats
        new Row("fail", "task", e -> e.failCall(null, TaskScripts.FailMode.RETRY)),
        new Row("fail", "stream", e -> e.failCall(Keys::stream, TaskScripts.FailMode.RETRY)),
        new Row("fail", "delayed", e -> e.failCall(Keys::delayed, TaskScripts.FailMode.RETRY)),
        new Row("fail", "dead", e -> e.failCall(Keys::dead, TaskScripts.FailMode.DEAD)),
        new Row("fail", "stats", e -> e.failCall(Keys::stats, TaskScripts.FailMode.DEAD)),
        // park: task, stream, parked, parking, stats
        new Row("park", "task", e -> e.parkCall(null)),
        new Row("park", "stream", e -> e.parkCall(Keys::stream)),
        new Row("park", "parked", e -> e.parkCall(Keys::parked)),
        new Row("park", "parking", e -> e.parkCall(Keys::parking)),
        new Row("park", "stats", e -> e.parkCall(Keys::stats)),
        // release and renew: task, stream
        new Row("release", "task", e -> e.releaseCall(null)),
        new Row("release", "stream", e -> e.releaseCall(Keys::stream)),
        new Row("renew", "task", e -> e.renewCall(null)),
        new Row("renew", "stream", e -> e.renewCall(Keys::stream)),
        // cancel: task, delayed and stats (scheduled), stream (queued, not delivered), parked and parking
        new Row("cancel", "task", e -> e.cancelCall(null, e.scheduled())),
        new Row("cancel", "delayed", e -> e.cancelCall(Keys::delayed, e.scheduled())),
        new Row("cancel", "stats", e -> e.cancelCall(Keys::stats, e.scheduled())),
        new Row("cancel", "stream", e -> e.cancelCall(Keys::stream, e.queued())),
        new Row("cancel", "parked", e -> e.cancelCall(Keys::parked, e.parked())),
        new Row("cancel", "parking", e -> e.cancelCall(Keys::parking, e.parked())),
        // promote: task, stream (a retry due now)
        new Row("promote", "task", e -> e.promoteCall(null)),
        new Row("promote", "stream", e -> e.promoteCall(Keys::stream)),
        // unpark: parked, parking, task, stream and stats (release), dead (ended past its max wait)
        new Row("unpark", "parked", e -> e.unparkCall(Keys::parked, false)),
        new Row("unpark", "parking", e -> e.unparkCall(Keys::parking, false)),
        new Row("unpark", "task", e -> e.unparkCall(null, false)),
        new Row("unpark", "stream", e -> e.unparkCall(Keys::stream, false)),
        new Row("unpark", "stats", e -> e.unparkCall(Keys::stats, false)),
        new Row("unpark", "dead", e -> e.unparkCall(Keys::dead, true)),
        // recover: stream, dead, stats, delayed (a task key of the wrong type is skipped: see below)
        new Row("recover", "stream", e -> e.recoverCall(Keys::stream)),
        new Row("recover", "dead", e -> e.recoverCall(Keys::dead)),
        new Row("recover", "stats", e -> e.recoverCall(Keys::stats)),
        new Row("recover", "delayed", e -> e.recoverCall(Keys::delayed)),
        // replay: task, stream, dead, stats
        new Row("replay", "task", e -> e.replayCall(null)),
        new Row("replay", "stream", e -> e.replayCall(Keys::stream)),
        new Row("replay", "dead", e -> e.replayCall(Keys::dead)),
        new Row("replay", "stats", e -> e.replayCall(Keys::stats)),
        // dead-entry: stream, dead, stats
        new Row("dead-entry", "stream", e -> e.deadEntryCall(Keys::stream)),
        new Row("dead-entry", "dead", e -> e.deadEntryCall(Keys::dead)),
        new Row("dead-entry", "stats", e -> e.deadEntryCall(Keys::stats)),
        // purge: dead
        new Row("purge", "dead", e -> {
          String id = e.dead();
          return new Call(e.k.dead(Q), () -> new DeadLetterScripts(e.broker).purge(Q, List.of(id)));
        }),
        // audit: stream, dead, stats, delayed, parked
        new Row("audit", "stream", e -> e.auditCall(Keys::stream)),
        new Row("audit", "dead", e -> e.auditCall(Keys::dead)),
        new Row("audit", "stats", e -> e.auditCall(Keys::stats)),
        new Row("audit", "delayed", e -> e.auditCall(Keys::delayed)),
        new Row("audit", "parked", e -> e.auditCall(Keys::parked)),
        // the limits: rate-reserve (log, sum, index), rate-reconcile (log, sum), permit-* (holders, index)
        new Row("rate-reserve", "log", e -> new Call(e.k.rateLog(LIMIT, "k"), e::reserve)),
        new Row("rate-reserve", "sum", e -> new Call(e.k.rateSum(LIMIT, "k"), e::reserve)),
        new Row("rate-reserve", "index", e -> new Call(e.k.rateKeys(LIMIT), e::reserve)),
        new Row("rate-reconcile", "log", e -> e.reconcileCall(e.k.rateLog(LIMIT, "k"))),
        new Row("rate-reconcile", "sum", e -> e.reconcileCall(e.k.rateSum(LIMIT, "k"))),
        new Row("permit-acquire", "holders", e -> new Call(e.k.permits(LIMIT, "k"), e::acquire)),
        new Row("permit-acquire", "index", e -> new Call(e.k.permitKeys(LIMIT), e::acquire)),
        new Row("permit-renew", "holders", e -> e.permitCall(e.k.permits(LIMIT, "k"), true)),
        new Row("permit-renew", "index", e -> e.permitCall(e.k.permitKeys(LIMIT), true)),
        new Row("permit-release", "holders", e -> e.permitCall(e.k.permits(LIMIT, "k"), false)),
        // the breakers: breaker-acquire (breaker; probes when half-open), breaker-record (breaker, window;
        // probes when half-open)
        new Row("breaker-acquire", "breaker", e -> new Call(e.k.breaker(DEP), () -> e.breakerAcquire())),
        new Row("breaker-acquire", "probes", e -> {
          e.halfOpen();
          return new Call(e.k.breakerProbes(DEP), () -> e.breakerAcquire());
        }),
        new Row("breaker-record", "breaker", e -> new Call(e.k.breaker(DEP), () -> e.breakerRecord(0, ""))),
        new Row("breaker-record", "window", e -> new Call(e.k.breakerWindow(DEP), () -> e.breakerRecord(0, ""))),
        new Row("breaker-record", "probes", e -> {
          e.halfOpen();
          return new Call(e.k.breakerProbes(DEP), () -> e.breakerRecord(1, "p1"));
        }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void aKeyOfTheWrongTypeFailsTheCallNamingScriptAndKeyAndNothingChanges(Row row) {
    Env e = new Env();
    Call call = row.prepare().apply(e);
    e.breakKey(call.key());
    Map<String, String> before = e.snapshot();

    Throwable thrown = catchThrowable(() -> call.run().run());

    WrongKeyTypeException w = wrongType(thrown);
    assertThat(w).as("a WrongKeyTypeException in %s", thrown).isNotNull();
    assertThat(w.script()).isEqualTo(row.script());
    assertThat(w.key()).isEqualTo(call.key());
    assertThat(w.getMessage()).contains(row.script() + ".lua", call.key(), "nothing was written");
    assertThat(e.snapshot()).isEqualTo(before);
  }

  /**
   * recover.lua does not fail on a task key of the wrong type: one such key would stop the recovery
   * of its whole queue, pass after pass. It leaves that entry pending and untouched, reports the
   * key, and takes the other entries over.
   */
  @Test
  void recoverLeavesAnEntryWhoseRecordIsNotAHashAloneReportsItAndTakesOverTheOthers() {
    Env e = new Env();
    TaskScripts.Held bad = e.running();
    TaskScripts.Held good = e.running();
    sleep(5);
    e.breakKey(e.k.task(Q, bad.id()));

    RecoveryScripts.Recovered r = new RecoveryScripts(e.broker).recover(Q, 1, 5, 0.5, List.of(
        new RecoveryScripts.StaleEntry(bad.entryId(), bad.id()), new RecoveryScripts.StaleEntry(good.entryId(),
            good.id())));

    assertThat(r.skippedKeys()).containsExactly(e.k.task(Q, bad.id()));
    assertThat(r.requeuedIds()).containsExactly(good.id());
    assertThat(r.deadIds()).isEmpty();
    assertThat(e.raw.get(e.k.task(Q, bad.id()))).isEqualTo("not baton");
    assertThat(e.raw.xpending(e.k.stream(Q), Keys.GROUP, Range.create(bad.entryId(), bad.entryId()), Limit.from(1)))
        .hasSize(1);
    assertThat(e.raw.hget(e.k.task(Q, good.id()), "st")).isEqualTo("queued");
  }

  private static WrongKeyTypeException wrongType(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof WrongKeyTypeException w) {
        return w;
      }
    }
    return null;
  }

  /** One row's queue: a client, a broker, the gateways, and ways to bring a task to each state. */
  static final class Env {
    final BatonClient baton = redis.client();
    final RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    final Keys k = broker.keys();
    final RedisCommands<String, String> raw = redis.raw();
    final TaskScripts tasks = new TaskScripts(broker);
    /** The task the last helper made. */
    String id;

    /** Replaces {@code key} with a value of another type than Baton keeps there. */
    void breakKey(String key) {
      raw.del(key);
      if (key.contains(":dedup:") || key.contains(":rate-sum:")) {
        raw.hset(key, "not", "baton");
      } else {
        raw.set(key, "not baton");
      }
    }

    /** Every key of this test's prefix: type, DUMP and whether it has a TTL. */
    Map<String, String> snapshot() {
      Map<String, String> out = new TreeMap<>();
      for (String key : raw.keys(redis.prefix() + "*")) {
        byte[] dump = raw.dump(key);
        out.put(key, raw.type(key) + " " + (raw.pttl(key) > 0 ? "ttl " : "") + HexFormat.of().formatHex(dump));
      }
      return out;
    }

    void enqueue(String taskId, long delayMillis, String dedupKey) {
      broker.await(new EnqueueScripts(broker).enqueue(Q,
          List.of(new EnqueueScripts.NewTask(taskId, "{}", 3, 0, delayMillis, 0, dedupKey, "", "", 0)), 60_000));
    }

    String queued() {
      return id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    }

    String scheduled() {
      return id = baton.dispatcher().enqueue(TaskRequest.builder(Q).delay(Duration.ofHours(1)).build()).id();
    }

    TaskScripts.Held running() {
      return running(TaskRequest.builder(Q).build());
    }

    TaskScripts.Held running(TaskRequest request) {
      id = baton.dispatcher().enqueue(request).id();
      return ScriptDriver.attempt(id, ScriptDriver.startAs(broker, raw, Q, ME, 1).get(id));
    }

    /** The key {@code of} names for the queue, or task {@code taskId}'s record when {@code of} is null. */
    String keyOf(BiFunction<Keys, String, String> of, String taskId) {
      return of == null ? k.task(Q, taskId) : of.apply(k, Q);
    }

    String parked() {
      TaskScripts.Held h = running();
      tasks.park(Q, h, "dep", TaskScripts.ParkKind.UNAVAILABLE, "down", 0);
      return h.id();
    }

    String dead() {
      TaskScripts.Held h = running();
      tasks.fail(Q, h, TaskScripts.FailMode.DEAD, 0, "{}", "boom");
      return h.id();
    }

    /** A task read by ME but not started; with {@code deadLetter}, its attempts are used up so start dead-letters it. */
    Call startCall(BiFunction<Keys, String, String> of, boolean deadLetter) {
      String taskId = queued();
      String eid = raw.xreadgroup(Consumer.from(Keys.GROUP, ME), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)))
          .get(0).getId();
      if (deadLetter) {
        raw.hset(k.task(Q, taskId), "att", "3");
      }
      return new Call(keyOf(of, taskId), () -> tasks.start(Q, ME, List.of(eid), List.of(taskId)));
    }

    Call completeCall(BiFunction<Keys, String, String> of) {
      TaskScripts.Held h = running();
      return new Call(keyOf(of, h.id()), () -> broker.await(tasks.complete(Q, 60_000,
          List.of(new TaskScripts.Succeeded(h, "1", "{\"a\":1}")))));
    }

    Call failCall(BiFunction<Keys, String, String> of, TaskScripts.FailMode mode) {
      TaskScripts.Held h = running();
      return new Call(keyOf(of, h.id()), () -> tasks.fail(Q, h, mode, 0, "{\"a\":1}", "boom"));
    }

    Call parkCall(BiFunction<Keys, String, String> of) {
      TaskScripts.Held h = running();
      return new Call(keyOf(of, h.id()),
          () -> tasks.park(Q, h, "dep", TaskScripts.ParkKind.UNAVAILABLE, "down", 0));
    }

    Call releaseCall(BiFunction<Keys, String, String> of) {
      TaskScripts.Held h = running();
      return new Call(keyOf(of, h.id()), () -> tasks.release(Q, ME, List.of(h)));
    }

    Call renewCall(BiFunction<Keys, String, String> of) {
      TaskScripts.Held h = running();
      return new Call(keyOf(of, h.id()), () -> broker.await(tasks.renew(Q, ME, List.of(h))));
    }

    Call cancelCall(BiFunction<Keys, String, String> of, String taskId) {
      return new Call(keyOf(of, taskId), () -> new DeadLetterScripts(broker).cancel(Q, taskId, 60_000));
    }

    /** A retry due now; breaks {@code of}, or its record when null. */
    Call promoteCall(BiFunction<Keys, String, String> of) {
      TaskScripts.Held h = running();
      tasks.fail(Q, h, TaskScripts.FailMode.RETRY, 0, "{\"a\":1}", "");
      return new Call(keyOf(of, h.id()), () -> new SchedulingScripts(broker).promote(Q, List.of(h.id())));
    }

    /** A parked task due now (past its max wait when {@code ended}); breaks {@code of}, or its record when null. */
    Call unparkCall(BiFunction<Keys, String, String> of, boolean ended) {
      TaskRequest.Builder b = TaskRequest.builder(Q);
      if (ended) {
        b.maxWait(Duration.ofMillis(1));
      }
      TaskScripts.Held h = running(b.build());
      tasks.park(Q, h, "dep", TaskScripts.ParkKind.UNAVAILABLE, "down", 0);
      sleep(5);
      return new Call(keyOf(of, h.id()), () -> new SchedulingScripts(broker).unpark(Q,
          new SchedulingScripts.Unpark("dep", true, "g", 10, 1_000, 0, 1_000), List.of(h.id())));
    }

    /** A running task whose holder died (lease 1 ms); breaks {@code of}, or its record when null. */
    Call recoverCall(BiFunction<Keys, String, String> of) {
      TaskScripts.Held h = running();
      sleep(5);
      return new Call(keyOf(of, h.id()), () -> new RecoveryScripts(broker).recover(Q, 1, 5, 0.5,
          List.of(new RecoveryScripts.StaleEntry(h.entryId(), h.id()))));
    }

    /** A dead letter; breaks {@code of}, or its record when null. */
    Call replayCall(BiFunction<Keys, String, String> of) {
      String deadId = dead();
      return new Call(keyOf(of, deadId), () -> new DeadLetterScripts(broker).replay(Q, deadId));
    }

    /** An unreadable entry read by ME. */
    Call deadEntryCall(BiFunction<Keys, String, String> of) {
      queued();
      raw.xadd(k.stream(Q), "junk", "1");
      List<io.lettuce.core.StreamMessage<String, String>> read = raw.xreadgroup(Consumer.from(Keys.GROUP, ME),
          XReadArgs.Builder.count(2), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)));
      String eid = read.get(read.size() - 1).getId();
      return new Call(of.apply(k, Q), () -> new RecoveryScripts(broker).deadEntry(Q, eid, "no t", "{\"junk\":\"1\"}"));
    }

    void reserve() {
      new LimitScripts(broker).reserve(LIMIT, "k", "r2", 1, 10, 60_000, null);
    }

    /** A reservation granted; reconciles it. */
    Call reconcileCall(String key) {
      new LimitScripts(broker).reserve(LIMIT, "k", "r1", 1, 10, 60_000, null);
      return new Call(key, () -> new LimitScripts(broker).reconcile(LIMIT, "k", "r1", 1, 2));
    }

    void acquire() {
      new LimitScripts(broker).acquirePermit(LIMIT, "k", "tok2", 2, 60_000, 1_000, null);
    }

    /** A permit held; renews or releases it. */
    Call permitCall(String key, boolean renew) {
      new LimitScripts(broker).acquirePermit(LIMIT, "k", "tok", 2, 60_000, 1_000, null);
      return new Call(key, renew
          ? () -> new LimitScripts(broker).renewPermit(LIMIT, "k", "tok", 60_000, null)
          : () -> new LimitScripts(broker).releasePermit(LIMIT, "k", "tok", null));
    }

    /** The breaker half-open in gen 1, no probe in flight. */
    void halfOpen() {
      raw.hset(k.breaker(DEP), Map.of("st", "half_open", "gen", "1", "since", "0", "ok", "0"));
      raw.zadd(k.breakerProbes(DEP), Long.MAX_VALUE / 2, "p1");
    }

    void breakerAcquire() {
      new BreakerScripts(broker).acquire(DEP, BreakerConfig.builder().build(), "p2", Duration.ofSeconds(10));
    }

    void breakerRecord(long gen, String probeId) {
      new BreakerScripts(broker).record(DEP, BreakerConfig.builder().build(), gen, probeId,
          BreakerScripts.Outcome.SUCCESS, false, Duration.ofSeconds(10));
    }

    /** A queued task's record audited; breaks {@code of}. */
    Call auditCall(BiFunction<Keys, String, String> of) {
      String queuedId = queued();
      return new Call(of.apply(k, Q),
          () -> new RecoveryScripts(broker).audit(Q, List.of(k.task(Q, queuedId))));
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(ex);
    }
  }
}
