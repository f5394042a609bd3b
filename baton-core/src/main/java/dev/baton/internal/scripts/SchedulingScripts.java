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
 * The gateway of tasks waiting for a time: due.lua and promote.lua (the delayed set), unpark.lua
 * and the reads of the parked set (tasks waiting for a dependency). The only code that knows those
 * scripts' KEYS/ARGV layouts and reply shapes. Every call waits, up to the command timeout.
 * Thread-safe.
 */
public final class SchedulingScripts {
  private final RedisBroker broker;
  private final Keys keys;

  public SchedulingScripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * Delayed tasks whose time has come. {@code msUntilNextDue}: -1 when nothing further waits, 0
   * when more are due than were returned.
   */
  public record Due(long msUntilNextDue, List<String> ids) {}

  /** Up to {@code limit} due delayed tasks of {@code queue}, by server time (due.lua). Read-only. */
  public Due due(String queue, int limit) {
    List<Object> r = broker.runSync(Script.DUE, new String[] {keys.delayed(queue)}, Integer.toString(limit));
    List<String> ids = new ArrayList<>(r.size() - 1);
    for (int i = 1; i < r.size(); i++) {
      ids.add((String) r.get(i));
    }
    return new Due((Long) r.get(0), ids);
  }

  /** Moves the due ones of {@code ids} from the delayed set to the stream (promote.lua); returns how many. */
  public long promote(String queue, List<String> ids) {
    String[] keyNames = new String[2 + ids.size()];
    keyNames[0] = keys.delayed(queue);
    keyNames[1] = keys.stream(queue);
    for (int i = 0; i < ids.size(); i++) {
      keyNames[2 + i] = keys.task(queue, ids.get(i));
    }
    return ScriptErrors.<Long>typed(() -> broker.runSync(Script.PROMOTE, keyNames, ids.toArray(String[]::new)));
  }

  /**
   * How unpark.lua treats the due tasks of one dependency.
   *
   * @param release true: release in waves; false: hold every task that is not past its deadline
   * @param gen the breaker generation the caller saw; a new one starts the waves over
   * @param firstWave tasks released by the first wave, at least 1
   * @param waveCap the largest wave, 0 for none
   * @param holdMillis how far to push back a task that is not released
   */
  public record Unpark(String dependency, boolean release, String gen, int firstWave, long waveIntervalMillis,
      int waveCap, long holdMillis) {}

  /** What one unpark call did. */
  public record Unparked(long released, long ended, long held, List<String> releasedIds, List<String> endedIds) {}

  /** Reconsiders the due parked tasks {@code ids} of {@code queue}, all parked on one dependency (unpark.lua). */
  public Unparked unpark(String queue, Unpark how, List<String> ids) {
    String[] keyNames = new String[5 + ids.size()];
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
      keyNames[5 + i] = keys.task(queue, ids.get(i));
      args[8 + i] = ids.get(i);
    }
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.UNPARK, keyNames, args));
    ScriptErrors.unnotified(Script.UNPARK, queue, r.size() > 5 ? r.get(5) : null);
    return new Unparked((Long) r.get(0), (Long) r.get(1), (Long) r.get(2), RecoveryScripts.strings(r.get(3)),
        RecoveryScripts.strings(r.get(4)));
  }

  /** Parked tasks of {@code queue} due for reconsideration, with the dependency each waits for. */
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
      if (dep != null) {
        out.put(ids.get(i), dep);
      }
    }
    return out;
  }

  /**
   * Tasks of {@code queue} parked on {@code dependency}; 0 while the count holds something other than
   * an integer (written outside Baton: the next park, unpark or cancel of that dependency resets it).
   */
  public long parkedCount(String queue, String dependency) {
    String n = broker.await(broker.hget(keys.parking(queue), "n:" + dependency));
    try {
      return n == null ? 0 : Long.parseLong(n);
    } catch (NumberFormatException malformed) {
      return 0;
    }
  }
}
