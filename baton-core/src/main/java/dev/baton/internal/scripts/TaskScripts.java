package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.RedisBroker.BlockingReader;
import dev.baton.internal.broker.Script;
import dev.baton.internal.codec.WireFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway of a delivery's lifecycle: the group read, then start.lua, complete.lua, fail.lua,
 * park.lua, release.lua and renew.lua, each fenced on the attempt the worker holds. The only code
 * that knows those scripts' KEYS/ARGV layouts and reply shapes. complete and renew are
 * asynchronous (a worker pipelines them); the others wait, up to the command timeout. Thread-safe.
 */
public final class TaskScripts implements TaskTransitions {
  private final RedisBroker broker;
  private final Keys keys;

  public TaskScripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /** An attempt a worker holds: its task and the fencing token (entry id, delivery number) every write carries. */
  public interface Attempt {
    String id();

    String entryId();

    String deliveryToken();
  }

  /** An {@link Attempt} by value. */
  public record Held(String id, String entryId, String deliveryToken) implements Attempt {}

  /** A success to record: the attempt, its result (JSON text) and its attempt record (JSON object text). */
  public interface Success {
    Attempt task();

    String resultJson();

    String attemptRecord();
  }

  /** A {@link Success} by value. */
  public record Succeeded(Attempt task, String resultJson, String attemptRecord) implements Success {}

  // ---- the group read ------------------------------------------------------------------------

  /** Creates {@code queue}'s stream and consumer group at the start, if missing; a no-op otherwise. */
  public void ensureGroup(String queue) {
    broker.createGroup(keys.stream(queue), Keys.GROUP);
  }

  /** A dedicated connection reading {@code queue}'s new entries as {@code consumer} (XREADGROUP). */
  public BlockingReader openReader(String queue, String consumer) {
    return broker.openReader(keys.stream(queue), Keys.GROUP, consumer);
  }

  // ---- start.lua -----------------------------------------------------------------------------

  /**
   * Runs start.lua for the entries {@code consumer} just read: entry {@code i} has id {@code
   * entryIds.get(i)} and names task {@code taskIds.get(i)}. Idempotent: a retry after a lost reply
   * gets the same answer.
   */
  public StartReplies start(String queue, String consumer, List<String> entryIds, List<String> taskIds) {
    int n = entryIds.size();
    String[] keyNames = new String[3 + n];
    String[] args = new String[3 + 2 * n];
    keyNames[0] = keys.stream(queue);
    keyNames[1] = keys.dead(queue);
    keyNames[2] = keys.stats(queue);
    args[0] = Keys.GROUP;
    args[1] = consumer;
    args[2] = keys.finishedChannel(queue);
    for (int i = 0; i < n; i++) {
      keyNames[3 + i] = keys.task(queue, taskIds.get(i));
      args[3 + 2 * i] = entryIds.get(i);
      args[4 + 2 * i] = taskIds.get(i);
    }
    StartReplies replies = new StartReplies(ScriptErrors.typed(() -> broker.runSync(Script.START, keyNames, args)));
    for (int i = 0; i < replies.size(); i++) {
      ScriptErrors.unnotified(Script.START, queue, replies.unnotified(i));
    }
    return replies;
  }

  /** The fields start.lua returns for a started task, in its order (see its header). */
  static final List<String> STARTED_FIELDS = List.of("st", "eid", "id", "att", "max", "dlv", "own", "q", "p", "to",
      "h", "bo", "p2", "p3", "p4", "p5", "p6", "p7", "p8");

  /**
   * The reply of one start call, read per entry in the order sent ({@code {code, values}} or
   * {@code {code, reason}}); each accessor decodes its element where it is read.
   */
  public record StartReplies(List<Object> raw) {
    public int size() {
      return raw.size();
    }

    /** {@link ScriptStatus#OK} started, {@link ScriptStatus#SKIPPED}, or {@link ScriptStatus#DEAD_LETTERED}. */
    public ScriptStatus status(int entry) {
      return ScriptStatus.ofFirst(Script.START, raw.get(entry));
    }

    /**
     * A started task's record after the start: field name to value for the fields present, with
     * {@code p} the whole payload (its pieces joined) and no {@code p2..p8}.
     */
    public Map<String, String> record(int entry) {
      return startedRecord((List<?>) ((List<?>) raw.get(entry)).get(1));
    }

    /** Why an entry was skipped or dead-lettered. */
    public String reason(int entry) {
      return String.valueOf(((List<?>) raw.get(entry)).get(1));
    }

    /**
     * For an entry dead-lettered here: the Redis error that refused the PUBLISH of its id (written,
     * not notified), or null when it was published (and for every other entry).
     */
    public String unnotified(int entry) {
      List<?> r = (List<?>) raw.get(entry);
      return status(entry) == ScriptStatus.DEAD_LETTERED && r.size() > 2 ? String.valueOf(r.get(2)) : null;
    }
  }

  /** The record of a started task from start.lua's positional values (see {@link StartReplies#record}). */
  static Map<String, String> startedRecord(List<?> values) {
    Map<String, String> f = new HashMap<>();
    int n = Math.min(values.size(), STARTED_FIELDS.size());
    for (int i = 0; i < n; i++) {
      if (values.get(i) instanceof String v) {
        f.put(STARTED_FIELDS.get(i), v);
      }
    }
    String whole = WireFormat.payload(f);
    if (whole != null) {
      f.put("p", whole);
    }
    for (int k = 2; k <= 8; k++) {
      f.remove("p" + k);
    }
    return f;
  }

  // ---- complete.lua --------------------------------------------------------------------------

  /**
   * Records {@code successes} of {@code queue} in one complete.lua call, each fenced on its own
   * attempt. The future fails as the call does; nothing is retried here.
   *
   * @param retentionMillis how long the finished records are kept
   */
  public CompletableFuture<CompleteReplies> complete(String queue, long retentionMillis,
      List<? extends Success> successes) {
    int n = successes.size();
    String[] keyNames = new String[2 + n];
    String[] args = new String[3 + 4 * n];
    keyNames[0] = keys.stream(queue);
    keyNames[1] = keys.stats(queue);
    args[0] = Keys.GROUP;
    args[1] = Long.toString(retentionMillis);
    args[2] = keys.finishedChannel(queue);
    for (int i = 0; i < n; i++) {
      Success s = successes.get(i);
      Attempt a = s.task();
      keyNames[2 + i] = keys.task(queue, a.id());
      args[3 + 4 * i] = a.entryId();
      args[4 + 4 * i] = a.deliveryToken();
      args[5 + 4 * i] = s.resultJson();
      args[6 + 4 * i] = s.attemptRecord();
    }
    return ScriptErrors.typed(broker.<List<Object>>run(Script.COMPLETE, keyNames, args)).thenApply(raw -> {
      CompleteReplies replies = new CompleteReplies(raw);
      for (int i = 0; i < replies.size(); i++) {
        if (replies.unnotified(i) != null) {
          ScriptErrors.unnotified(Script.COMPLETE, queue, replies.unnotified(i));
          break;
        }
      }
      return replies;
    });
  }

  /**
   * The reply of one complete call, read per task in the order sent ({@code {1}}, {@code {-1,
   * state}} or {@code {-2}}); each accessor decodes its element where it is read.
   */
  public record CompleteReplies(List<Object> raw) {
    public int size() {
      return raw.size();
    }

    /** {@link ScriptStatus#OK} recorded, {@link ScriptStatus#NOT_HELD}, or {@link ScriptStatus#NOT_FOUND}. */
    public ScriptStatus status(int task) {
      return ScriptStatus.ofFirst(Script.COMPLETE, raw.get(task));
    }

    /** For {@link ScriptStatus#NOT_HELD}: the task's state now. */
    public String state(int task) {
      return (String) ((List<?>) raw.get(task)).get(1);
    }

    /**
     * For a task recorded here: the Redis error that refused the PUBLISH of the recorded ids
     * (written, not notified), or null when they were published (and for every other task). The
     * PUBLISH is one per call, so every recorded task of a call gives the same answer.
     */
    public String unnotified(int task) {
      List<?> r = (List<?>) raw.get(task);
      return status(task) == ScriptStatus.OK && r.size() > 2 ? String.valueOf(r.get(2)) : null;
    }
  }

  // ---- fail.lua, park.lua --------------------------------------------------------------------

  /** What a failed attempt becomes. */
  public enum FailMode {
    /** Back to the delayed set, due after the retry delay. */
    RETRY("retry"),
    /** Dead-lettered with the reason. */
    DEAD("dead");

    private final String wire;

    FailMode(String wire) {
      this.wire = wire;
    }

    /** The mode's name in fail.lua (and in log lines). */
    public String wire() {
      return wire;
    }
  }

  /**
   * The outcome of a fenced write: {@link ScriptStatus#OK} with the task's new state, {@link
   * ScriptStatus#NOT_HELD} with its current state, or {@link ScriptStatus#NOT_FOUND} (state null).
   * {@code reconsiderAtMillis}: when park.lua parked it until (ms, server clock); 0 otherwise.
   * {@code unnotified}: for an OK dead letter whose PUBLISH Redis refused (an ACL without the
   * finished channel), the Redis error: the outcome is written, only its notification is missing.
   * Null otherwise.
   */
  public record Written(ScriptStatus status, String state, long reconsiderAtMillis, String unnotified) {
    /** A write that was notified, or needed no notification. */
    public Written(ScriptStatus status, String state, long reconsiderAtMillis) {
      this(status, state, reconsiderAtMillis, null);
    }
  }

  /**
   * Records a failed attempt with fail.lua: a retry due after {@code retryDelayMillis}, or a dead
   * letter with {@code deadReason}.
   *
   * @param attemptRecord JSON object text: stored as the last error and appended to the history
   */
  @Override
  public Written fail(String queue, Attempt task, FailMode mode, long retryDelayMillis, String attemptRecord,
      String deadReason) {
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.FAIL,
        new String[] {keys.task(queue, task.id()), keys.stream(queue), keys.delayed(queue), keys.dead(queue),
            keys.stats(queue)},
        Keys.GROUP, task.entryId(), task.deliveryToken(), mode.wire(), Long.toString(retryDelayMillis), attemptRecord,
        deadReason, keys.finishedChannel(queue)));
    Written w = written(Script.FAIL, r);
    ScriptErrors.unnotified(Script.FAIL, queue, w.unnotified());
    return w;
  }

  /** Why a task is parked (park.lua's kind). */
  public enum ParkKind {
    /** The dependency's breaker is open. */
    OPEN("open"),
    /** The dependency reported itself down. */
    UNAVAILABLE("unavailable"),
    /** Rate-limited. */
    RATE("rate");

    private final String wire;

    ParkKind(String wire) {
      this.wire = wire;
    }
  }

  /**
   * Parks a running task with park.lua until its dependency is available: reconsidered after
   * {@code afterMillis} (capped by its own deadline); the attempt is given back.
   */
  @Override
  public Written park(String queue, Attempt task, String dependency, ParkKind kind, String reason, long afterMillis) {
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.PARK,
        new String[] {keys.task(queue, task.id()), keys.stream(queue), keys.parked(queue), keys.parking(queue),
            keys.stats(queue)},
        Keys.GROUP, task.entryId(), task.deliveryToken(), dependency, reason, Long.toString(afterMillis), kind.wire));
    return written(Script.PARK, r);
  }

  private static Written written(Script script, List<Object> r) {
    ScriptStatus status = ScriptStatus.of(script, (Long) r.get(0));
    String state = r.size() > 1 ? (String) r.get(1) : null;
    long at = r.size() > 2 ? (Long) r.get(2) : 0;
    String unnotified = r.size() > 3 ? String.valueOf(r.get(3)) : null;
    return new Written(status, state, at, unnotified);
  }

  // ---- release.lua, renew.lua ----------------------------------------------------------------

  /** What release.lua did: the ids put back on the stream, and those left held to be charged. */
  public record Released(List<String> released, List<String> charged) {}

  /**
   * Gives {@code tasks} (held by {@code consumer}) back to the stream with release.lua, uncounted: the
   * worker is stopping, or the start came back too late.
   *
   * @return the ids of the tasks that went back (a task taken over meanwhile is left alone)
   */
  @Override
  public List<String> release(String queue, String consumer, List<? extends Attempt> tasks) {
    return release(queue, consumer, -1, tasks).released();
  }

  /**
   * Gives {@code tasks} back to the stream with release.lua for a worker fault, uncounted, unless a
   * task was already released for a worker fault {@code maxFaultReleases} times: such a task is left
   * held, for the caller to charge the fault as a failed attempt (fail.lua).
   *
   * @param maxFaultReleases fault releases a task may have (the record's {@code flt}), 0 or more;
   *     -1 for a release that is not for a fault
   */
  public Released release(String queue, String consumer, int maxFaultReleases, List<? extends Attempt> tasks) {
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.RELEASE, heldKeys(queue, tasks),
        prepend(heldArgs(consumer, tasks), 2, Integer.toString(maxFaultReleases))));
    return new Released(RecoveryScripts.strings(r.get(0)), RecoveryScripts.strings(r.get(1)));
  }

  @Override
  public Released releaseForFault(String queue, String consumer, int maxFaultReleases, List<? extends Attempt> tasks) {
    return release(queue, consumer, maxFaultReleases, tasks);
  }

  /** {@code args} with {@code value} inserted at {@code index}. */
  private static String[] prepend(String[] args, int index, String value) {
    String[] out = new String[args.length + 1];
    System.arraycopy(args, 0, out, 0, index);
    out[index] = value;
    System.arraycopy(args, index, out, index + 1, args.length - index);
    return out;
  }

  /**
   * Renews the leases of {@code tasks} (held by {@code consumer}) with renew.lua. The future
   * completes with one status per task, in order: {@link ScriptStatus#OK} renewed, or {@link
   * ScriptStatus#NOT_HELD} (the lease is lost: the worker must stop the task and write nothing).
   */
  @Override
  public CompletableFuture<List<ScriptStatus>> renew(String queue, String consumer, List<? extends Attempt> tasks) {
    return ScriptErrors.typed(broker.<List<Long>>run(Script.RENEW, heldKeys(queue, tasks), heldArgs(consumer, tasks)))
        .thenApply(codes -> {
      List<ScriptStatus> out = new ArrayList<>(codes.size());
      for (Long code : codes) {
        out.add(ScriptStatus.of(Script.RENEW, code));
      }
      return out;
    });
  }

  /** release.lua's and renew.lua's keys: the stream, then one task key per attempt. */
  private String[] heldKeys(String queue, List<? extends Attempt> tasks) {
    String[] keyNames = new String[1 + tasks.size()];
    keyNames[0] = keys.stream(queue);
    for (int i = 0; i < tasks.size(); i++) {
      keyNames[1 + i] = keys.task(queue, tasks.get(i).id());
    }
    return keyNames;
  }

  /** release.lua's and renew.lua's arguments: group, consumer, then entry id and delivery per attempt. */
  private static String[] heldArgs(String consumer, List<? extends Attempt> tasks) {
    String[] args = new String[2 + 2 * tasks.size()];
    args[0] = Keys.GROUP;
    args[1] = consumer;
    for (int i = 0; i < tasks.size(); i++) {
      args[2 + 2 * i] = tasks.get(i).entryId();
      args[3 + 2 * i] = tasks.get(i).deliveryToken();
    }
    return args;
  }
}
