package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway of layout v2's worker-side transitions off the success path (docs/hot-path-v2.md):
 * {@code v2/fail.lua}, {@code v2/park.lua}, {@code v2/release.lua}, {@code v2/renew.lua}. Each
 * is fenced on the token the worker holds. The only code that knows their KEYS/ARGV layouts and
 * reply shapes. Used when the process runs layout 2 (Layout). Thread-safe.
 */
public final class TaskV2Scripts {
  private final RedisBroker broker;
  private final Keys keys;

  public TaskV2Scripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /** A delivery this worker holds: the task and its token. */
  public record Held(String id, String token) {}

  /** Why a delivery is given back: a plain release, or a fault of the worker itself (counted, capped). */
  public enum ReleaseKind {
    PLAIN("r"), WORKER_FAULT("f");

    private final String wire;

    ReleaseKind(String wire) {
      this.wire = wire;
    }
  }

  /** A status, with the state the task is in (after the call when recorded, as found when refused). */
  public record Outcome(ScriptStatus status, String state, String unnotified) {}

  /** Records a failed attempt and schedules a retry {@code delayMillis} from now (server clock). */
  public Outcome retry(String queue, Held task, String attemptRecord, long delayMillis) {
    return fail(queue, task, "retry", delayMillis, attemptRecord, "");
  }

  /** Records a failed attempt and dead-letters the task with {@code reason}. */
  public Outcome deadLetter(String queue, Held task, String attemptRecord, String reason) {
    return fail(queue, task, "dead", 0, attemptRecord, reason);
  }

  private Outcome fail(String queue, Held task, String mode, long delayMillis, String attemptRecord, String reason) {
    String[] keyNames = {keys.stream(queue), keys.delayed(queue), keys.dead(queue), keys.stats(queue),
        keys.indexBucket(queue, task.id()), keys.task(queue, task.id())};
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.FAIL_V2, keyNames, Keys.GROUP, task.id(),
        task.token(), mode, Long.toString(delayMillis), attemptRecord, reason, keys.finishedChannel(queue)));
    return new Outcome(ScriptStatus.of(Script.FAIL_V2, (Long) r.get(0)), (String) r.get(1),
        r.size() > 2 ? (String) r.get(2) : null);
  }

  /**
   * Parks a delivered task on {@code dependency} until {@code afterMillis} from now (capped by its
   * max wait); {@code kind} is {@code open}, {@code unavailable} or {@code rate}.
   */
  public Outcome park(String queue, Held task, String dependency, String reason, long afterMillis, String kind) {
    String[] keyNames = {keys.stream(queue), keys.parked(queue), keys.parking(queue), keys.stats(queue),
        keys.indexBucket(queue, task.id()), keys.task(queue, task.id())};
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.PARK_V2, keyNames, Keys.GROUP, task.id(),
        task.token(), dependency, reason, Long.toString(afterMillis), kind));
    return new Outcome(ScriptStatus.of(Script.PARK_V2, (Long) r.get(0)), (String) r.get(1), null);
  }

  /**
   * Gives {@code tasks} back uncounted, at once, to be claimed ahead of new entries; a worker fault
   * past {@code faultCap} uncounted releases is refused ({@link ScriptStatus#UNCHANGED}) so that the
   * caller charges the attempt instead. One status per task, in order.
   */
  public List<ScriptStatus> release(String queue, List<Held> tasks, ReleaseKind kind, int faultCap) {
    String[] keyNames = new String[1 + tasks.size()];
    String[] args = new String[2 + 3 * tasks.size()];
    keyNames[0] = keys.stream(queue);
    args[0] = Keys.GROUP;
    args[1] = Integer.toString(faultCap);
    for (int i = 0; i < tasks.size(); i++) {
      Held t = tasks.get(i);
      keyNames[1 + i] = keys.indexBucket(queue, t.id());
      args[2 + 3 * i] = t.id();
      args[3 + 3 * i] = t.token();
      args[4 + 3 * i] = kind.wire;
    }
    return statuses(Script.RELEASE_V2, ScriptErrors.typed(() -> broker.runSync(Script.RELEASE_V2, keyNames, args)));
  }

  /** Renews the leases of {@code tasks} held by {@code consumer}; one status per task, in order. */
  public List<ScriptStatus> renew(String queue, String consumer, List<Held> tasks) {
    return ScriptErrors.typed(() -> broker.await(renewAsync(queue, consumer, tasks)));
  }

  /** {@link #renew}, without waiting: the worker's heartbeat never waits on Redis. */
  public java.util.concurrent.CompletableFuture<List<ScriptStatus>> renewAsync(String queue, String consumer,
      List<Held> tasks) {
    String[] keyNames = new String[1 + tasks.size()];
    String[] args = new String[2 + 2 * tasks.size()];
    keyNames[0] = keys.stream(queue);
    args[0] = Keys.GROUP;
    args[1] = consumer;
    for (int i = 0; i < tasks.size(); i++) {
      Held t = tasks.get(i);
      keyNames[1 + i] = keys.indexBucket(queue, t.id());
      args[2 + 2 * i] = t.id();
      args[3 + 2 * i] = t.token();
    }
    return ScriptErrors.typed(broker.<List<Object>>run(Script.RENEW_V2, keyNames, args))
        .thenApply(codes -> statuses(Script.RENEW_V2, codes));
  }

  private static List<ScriptStatus> statuses(Script script, List<Object> codes) {
    List<ScriptStatus> out = new ArrayList<>(codes.size());
    for (Object c : codes) {
      out.add(ScriptStatus.of(script, (Long) c));
    }
    return out;
  }
}
