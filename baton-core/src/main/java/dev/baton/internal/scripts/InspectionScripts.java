package dev.baton.internal.scripts;

import dev.baton.QueueStats;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway of the read side of queues and tasks: stats.lua and the task records. The only code
 * that knows stats.lua's KEYS/ARGV layout and reply shape. Read-only; every call waits, up to the
 * command timeout. Thread-safe.
 */
public final class InspectionScripts {
  private final RedisBroker broker;
  private final Keys keys;

  public InspectionScripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /** The counts of {@code queue} (stats.lua). */
  public QueueStats stats(String queue) {
    List<Object> r = broker.runSync(Script.STATS,
        new String[] {keys.stream(queue), keys.delayed(queue), keys.dead(queue), keys.stats(queue), keys.parked(queue)},
        Keys.GROUP);
    long length = (Long) r.get(0);
    long pending = (Long) r.get(1);
    long succeeded = 0, cancelled = 0, enqueued = 0, retried = 0;
    for (int i = 5; i + 1 < r.size(); i += 2) {
      long v = Long.parseLong((String) r.get(i + 1));
      switch ((String) r.get(i)) {
        case "succeeded" -> succeeded = v;
        case "cancelled" -> cancelled = v;
        case "enqueued" -> enqueued = v;
        case "retried" -> retried = v;
        default -> {}
      }
    }
    return new QueueStats(queue, Math.max(0, length - pending), pending, (Long) r.get(2), (Long) r.get(3),
        succeeded, cancelled, enqueued, retried, (Long) r.get(4));
  }

  /** The fields of task {@code id}'s record in {@code queue}; empty when there is none. */
  public Map<String, String> taskRecord(String queue, String id) {
    Map<String, String> fields = broker.await(broker.hgetall(keys.task(queue, id)));
    return fields == null ? Map.of() : fields;
  }

  /** Of {@code queues}, the ones holding a record for task {@code id}. One round trip. */
  public List<String> queuesHolding(String id, List<String> queues) {
    List<CompletableFuture<Long>> checks = new ArrayList<>(queues.size());
    for (String q : queues) {
      checks.add(broker.exists(keys.task(q, id)));
    }
    List<String> found = new ArrayList<>();
    for (int i = 0; i < queues.size(); i++) {
      if (broker.await(checks.get(i)) > 0) {
        found.add(queues.get(i));
      }
    }
    return found;
  }
}
