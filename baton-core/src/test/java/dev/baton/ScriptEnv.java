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
import dev.baton.resilience.BreakerConfig;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.ScriptDriver;
import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * One script test's queue: a client, a broker, the gateways, and ways to bring a task to each state
 * and to call each script on it (ScriptWrongTypeIT, ScriptMalformedCounterIT).
 */
final class ScriptEnv {
  /** A prepared call: the key to break and the gateway call to make. */
  record Call(String key, Runnable run) {}

  static final String Q = "wt";
  static final String ME = "w";
  static final String LIMIT = "llm";
  static final String DEP = "llm:model";

  final RedisExtension redis;
  final BatonClient baton;
  final RedisBroker broker;
  final Keys k;
  final RedisCommands<String, String> raw;
  final TaskScripts tasks;
  /** The task the last helper made. */
  String id;

  ScriptEnv(RedisExtension redis) {
    this.redis = redis;
    baton = redis.client();
    broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    k = broker.keys();
    raw = redis.raw();
    tasks = new TaskScripts(broker);
  }

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

static void sleep(long ms) {
  try {
    Thread.sleep(ms);
  } catch (InterruptedException ex) {
    Thread.currentThread().interrupt();
    throw new IllegalStateException(ex);
  }
}
}
