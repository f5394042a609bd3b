package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway of layout v2's parking (docs/hot-path-v2.md): {@code v2/unpark.lua} and the reads of
 * the parked set. The only code that knows that script's KEYS/ARGV layout and reply shape. Every
 * call waits, up to the command timeout. Thread-safe.
 */
public final class SchedulingV2Scripts {
  private final RedisBroker broker;
  private final Keys keys;

  public SchedulingV2Scripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * Reconsiders the due parked tasks {@code ids} of {@code queue} parked on one dependency: released
   * to the stream in waves, held, or dead-lettered past their max wait (or without a payload).
   */
  public SchedulingScripts.Unparked unpark(String queue, SchedulingScripts.Unpark how, List<String> ids) {
    String[] keyNames = new String[5 + 2 * ids.size()];
    String[] args = new String[8 + ids.size()];
    keyNames[0] = keys.parked(queue);
    keyNames[1] = keys.stream(queue);
    keyNames[2] = keys.parking(queue);
    keyNames[3] = keys.stats(queue);
    keyNames[4] = keys.dead(queue);
    args[0] = how.dependency();
    args[1] = how.release() ? "release" : "hold";
    args[2] = how.gen();
    args[3] = Integer.toString(how.firstWave());
    args[4] = Long.toString(how.waveIntervalMillis());
    args[5] = Integer.toString(how.waveCap());
    args[6] = Long.toString(how.holdMillis());
    args[7] = keys.finishedChannel(queue);
    for (int i = 0; i < ids.size(); i++) {
      keyNames[5 + 2 * i] = keys.task(queue, ids.get(i));
      keyNames[6 + 2 * i] = keys.indexBucket(queue, ids.get(i));
      args[8 + i] = ids.get(i);
    }
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.UNPARK_V2, keyNames, args));
    ScriptErrors.unnotified(Script.UNPARK_V2, queue, r.size() > 5 ? r.get(5) : null);
    return new SchedulingScripts.Unparked((Long) r.get(0), (Long) r.get(1), (Long) r.get(2),
        RecoveryScripts.strings(r.get(3)), RecoveryScripts.strings(r.get(4)));
  }

  /**
   * The dependency {@link #parkedDue} gives a member whose record names none (no record, or a
   * record written outside Baton): no dependency name holds a NUL. Unparked with it, such a member
   * is dead-lettered when it has no payload and dropped when its task moved on.
   */
  public static final String NO_DEPENDENCY = "\u0000";

  /**
   * Parked tasks of {@code queue} due for reconsideration, with the dependency each waits for
   * ({@link #NO_DEPENDENCY} when its record names none).
   */
  public Map<String, String> parkedDue(String queue, int limit) {
    long now = broker.serverTimeMillis();
    List<String> ids = broker.await(broker.zrangeByScore(keys.parked(queue), Double.NEGATIVE_INFINITY, now, limit));
    List<CompletableFuture<String>> deps = new ArrayList<>(ids.size());
    for (String id : ids) {
      deps.add(broker.hget(keys.task(queue, id), "dep"));
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      String dep = broker.await(deps.get(i));
      out.put(ids.get(i), dep == null ? NO_DEPENDENCY : dep);
    }
    return out;
  }
}
