package dev.baton.internal.scripts;

import dev.baton.QueueStats;
import dev.baton.TaskInfo;
import dev.baton.TaskState;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import dev.baton.internal.codec.JacksonCodec;
import dev.baton.internal.codec.WireFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The gateway of layout v2's client side (docs/hot-path-v2.md): {@code v2/task.lua} (one task),
 * {@code v2/stats.lua} (a queue's counts) and {@code v2/cancel.lua}. The only code that knows their
 * KEYS/ARGV layouts and reply shapes. Every call waits, up to the command timeout. Thread-safe.
 */
public final class ClientV2Scripts {
  private final RedisBroker broker;
  private final Keys keys;

  public ClientV2Scripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * One task as layout 2 holds it.
   *
   * @param info the task in the public shape
   * @param owner the consumer whose pending list holds its entry (a worker's name when running, a
   *     reserved {@code ~...} name when given back or taken over), null when not pending
   * @param indexValue the task's index value, null when it has none (finished)
   */
  public record Found(TaskInfo info, String owner, String indexValue) {}

  /**
   * Task {@code id} of {@code queue} (task.lua), empty when there is none.
   *
   * @throws IllegalArgumentException when what Redis holds cannot be read as a task (an unknown state)
   * @throws WrongKeyTypeException when one of its keys holds another type
   */
  public Optional<Found> task(String queue, String id) {
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.TASK_V2,
        new String[] {keys.stream(queue), keys.indexBucket(queue, id), keys.done(queue, id), keys.task(queue, id)},
        Keys.GROUP, id));
    if (r.isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> f = new HashMap<>();
    for (int i = 0; i + 1 < r.size(); i += 2) {
      f.put((String) r.get(i), (String) r.get(i + 1));
    }
    return Optional.of(new Found(toTaskInfo(queue, f), f.get("owner"), f.get("ix")));
  }

  /**
   * Layout 2's fields of a task as a {@link TaskInfo}: the options JSON {@code o} gives the attempt
   * budget ({@value EnqueueV2Scripts#DEFAULT_MAX_ATTEMPTS} when it has none) and the headers, the
   * record's {@code dn} the deliveries, and the latest failed attempt the start of a retrying or
   * dead task's latest attempt (layout 2 does not record starts otherwise).
   */
  static TaskInfo toTaskInfo(String queue, Map<String, String> f) {
    f.put("q", queue);
    int max = EnqueueV2Scripts.DEFAULT_MAX_ATTEMPTS;
    JsonNode o = tree(f.get("o"));
    if (o != null && o.isObject()) {
      JsonNode m = o.get("max");
      if (m != null && m.canConvertToInt()) {
        max = m.asInt();
      }
      JsonNode h = o.get("h");
      if (h != null && h.isObject()) {
        f.put("h", JacksonCodec.INSTANCE.encode(h));
      }
    }
    f.put("max", Integer.toString(max));
    if (!f.containsKey("dlv") && f.containsKey("dn")) {
      f.put("dlv", f.get("dn"));
    }
    String st = f.get("st");
    if (!f.containsKey("sta") && ("retrying".equals(st) || "dead".equals(st))) {
      JsonNode err = tree(f.get("err"));
      if (err != null && err.isObject() && err.path("s").canConvertToLong()) {
        f.put("sta", Long.toString(err.path("s").asLong()));
      }
    }
    return WireFormat.toTaskInfo(f);
  }

  private static JsonNode tree(String json) {
    if (json == null || json.isEmpty()) {
      return null;
    }
    try {
      return JacksonCodec.INSTANCE.mapper().readTree(json);
    } catch (JacksonException e) {
      return null;
    }
  }

  /**
   * The counts of {@code queue} (stats.lua): waiting = entries not pending under a worker (given
   * back and taken-over entries included), running = entries pending under a worker.
   *
   * @throws NumberFormatException when a counter is not an integer
   * @throws WrongKeyTypeException when one of its keys holds another type
   */
  public QueueStats stats(String queue) {
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.STATS_V2,
        new String[] {keys.stream(queue), keys.delayed(queue), keys.dead(queue), keys.stats(queue), keys.parked(queue)},
        Keys.GROUP));
    long length = (Long) r.get(0);
    long running = (Long) r.get(1);
    long succeeded = 0, cancelled = 0, enqueued = 0, retried = 0;
    for (int i = 6; i + 1 < r.size(); i += 2) {
      long v = Long.parseLong((String) r.get(i + 1));
      switch ((String) r.get(i)) {
        case "succeeded" -> succeeded = v;
        case "cancelled" -> cancelled = v;
        case "enqueued" -> enqueued = v;
        case "retried" -> retried = v;
        default -> {}
      }
    }
    return new QueueStats(queue, Math.max(0, length - running), running, (Long) r.get(3), (Long) r.get(4),
        succeeded, cancelled, enqueued, retried, (Long) r.get(5));
  }

  /**
   * Of {@code queues}, the ones holding task {@code id} in layout 2: an index field, a finished
   * value or a record. One round trip.
   */
  public List<String> queuesHolding(String id, List<String> queues) {
    List<CompletableFuture<Long>> checks = new ArrayList<>(queues.size());
    for (String q : queues) {
      checks.add(broker.exists(keys.done(q, id)));
      checks.add(broker.exists(keys.task(q, id)));
    }
    List<CompletableFuture<String>> indexed = new ArrayList<>(queues.size());
    for (String q : queues) {
      indexed.add(broker.hget(keys.indexBucket(q, id), id));
    }
    List<String> found = new ArrayList<>();
    for (int i = 0; i < queues.size(); i++) {
      boolean has = broker.await(checks.get(2 * i)) > 0 | broker.await(checks.get(2 * i + 1)) > 0;
      String v;
      try {
        v = broker.await(indexed.get(i));
      } catch (RuntimeException e) {
        v = null; // a bucket of another type holds no task of ours
      }
      if (has || v != null) {
        found.add(queues.get(i));
      }
    }
    return found;
  }

  /**
   * What a cancel did.
   *
   * @param status OK (cancelled here), WRONG_STATE (not cancellable: {@code state} says why) or NOT_FOUND
   * @param state the task's state after the call; null when not found
   * @param unnotified the error of a refused PUBLISH (cancelled, not notified), else null
   */
  public record Cancel(ScriptStatus status, TaskState state, String unnotified) {}

  /**
   * Cancels task {@code id} of {@code queue} unless it is running or terminal (cancel.lua).
   *
   * @param retentionMillis how long the finished value (and a record) is kept
   * @throws WrongKeyTypeException when one of its keys holds another type (nothing written)
   */
  public Cancel cancel(String queue, String id, long retentionMillis) {
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.CANCEL_V2,
        new String[] {keys.stream(queue), keys.delayed(queue), keys.parked(queue), keys.parking(queue),
            keys.stats(queue), keys.indexBucket(queue, id), keys.done(queue, id), keys.task(queue, id)},
        Keys.GROUP, Long.toString(retentionMillis), keys.finishedChannel(queue), id));
    ScriptStatus status = ScriptStatus.of(Script.CANCEL_V2, (Long) r.get(0));
    String state = (String) r.get(1);
    String unnotified = r.size() > 2 ? String.valueOf(r.get(2)) : null;
    ScriptErrors.unnotified(Script.CANCEL_V2, queue, unnotified);
    return new Cancel(status, state == null || state.isEmpty() ? null : TaskState.fromWire(state), unnotified);
  }
}
