package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway of layout v2's {@code v2/cycle.lua} (docs/hot-path-v2.md): records a worker's
 * successes and claims released or recovered entries in one call. The only code that knows its
 * KEYS/ARGV layout and reply shape. Used when the process runs layout 2 (Layout). Thread-safe.
 */
public final class CycleScripts {
  private static final int KEYS_FIXED = 2;
  private static final int ARGS_FIXED = 9;
  /** Most workers of one queue isolating suspects at once (each runs one suspect at a time). */
  public static final int ISOLATION_SLOTS = 4;

  private final RedisBroker broker;
  private final Keys keys;

  public CycleScripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * A success to record: the task, the token the worker holds (the index value it was handed), and
   * the finished value ({@link #finishedValue}).
   */
  public record Success(String id, String token, String finishedValue) {}

  /** An entry claimed for this worker: run it as attempt {@code attempt}, holding {@code token}. */
  public record Claimed(String id, String entryId, String token, int attempt, String payloadJson,
      String optionsJson) {}

  /**
   * Where a worker stands in running suspects alone (docs/hot-path-v2.md): {@code NONE} fetches as
   * usual; {@code DRAIN} holds the queue's isolation lock and fetches nothing until its tasks end;
   * {@code ALONE} holds it, runs nothing and may take one suspect.
   */
  public enum Isolation {
    NONE(""), DRAIN("drain"), ALONE("alone");

    private final String wire;

    Isolation(String wire) {
      this.wire = wire;
    }

    static Isolation of(String wire) {
      for (Isolation i : values()) {
        if (i.wire.equals(wire)) {
          return i;
        }
      }
      throw new IllegalStateException("cycle.lua returned isolation '" + wire + "'");
    }
  }

  /**
   * What one call did: a status (and, for a refusal, the state the index shows) per success, the
   * claims, a refused PUBLISH (or null), and what the worker does next about suspects.
   */
  public record Reply(List<ScriptStatus> statuses, List<String> states, List<Claimed> claimed, String unnotified,
      Isolation isolation) {}

  /**
   * The finished value of a success as the worker writes it: {@code
   * s,<finished ms>,<attempt>,<worker>,<run ms>|<result>}, the worker field left empty (a consumer
   * name would cost 20 to 40 bytes per finished task kept for the retention, taking a task with a
   * 100-byte result over 300 bytes; the worker that ran an attempt is in its lifecycle event and,
   * for a task that failed before, in its record's history) and the attempt's run time in ms, from
   * which readers derive when it started.
   */
  public static String finishedValue(long finishedAtMillis, int attempt, long runMillis, String resultJson) {
    return "s," + finishedAtMillis + "," + attempt + ",," + Math.max(0, runMillis) + "|" + resultJson;
  }

  /**
   * Records {@code successes} of {@code queue} (each fenced on its own) and claims up to
   * {@code claimMax} released or recovered entries for {@code consumer}.
   */
  public CompletableFuture<Reply> cycle(String queue, String consumer, long retentionMillis, int claimMax,
      List<Success> successes) {
    return cycle(queue, consumer, retentionMillis, claimMax, Isolation.NONE, 30_000, successes);
  }

  /**
   * As {@link #cycle(String, String, long, int, List)}, in the given isolation step; the lock lasts
   * {@code lockMillis} unless a cycle renews it.
   */
  public CompletableFuture<Reply> cycle(String queue, String consumer, long retentionMillis, int claimMax,
      Isolation isolation, long lockMillis, List<Success> successes) {
    Call c = call(queue, consumer, retentionMillis, claimMax, isolation, lockMillis, successes);
    return ScriptErrors.typed(broker.<List<Object>>run(Script.CYCLE_V2, c.keys, c.args)).thenApply(CycleScripts::reply);
  }

  /**
   * As {@link #cycle(String, String, long, int, Isolation, long, List)}, sent on {@code reader}'s
   * connection without waiting, so that the read the worker sends next shares its round trip.
   */
  public CompletableFuture<Reply> cycleOn(RedisBroker.BlockingReader reader, String queue, String consumer,
      long retentionMillis, int claimMax, Isolation isolation, long lockMillis, List<Success> successes) {
    Call c = call(queue, consumer, retentionMillis, claimMax, isolation, lockMillis, successes);
    return ScriptErrors.typed(reader.<List<Object>>run(Script.CYCLE_V2, c.keys, c.args)).thenApply(CycleScripts::reply);
  }

  private record Call(String[] keys, String[] args) {}

  private Call call(String queue, String consumer, long retentionMillis, int claimMax, Isolation isolation,
      long lockMillis, List<Success> successes) {
    int n = successes.size();
    String[] keyNames = new String[KEYS_FIXED + n];
    String[] args = new String[ARGS_FIXED + 3 * n];
    keyNames[0] = keys.stream(queue);
    keyNames[1] = keys.stats(queue);
    args[0] = Keys.GROUP;
    args[1] = consumer;
    args[2] = Long.toString(retentionMillis);
    args[3] = Integer.toString(claimMax);
    args[4] = keys.queuePrefix(queue);
    args[5] = keys.finishedChannel(queue);
    args[6] = isolation.wire;
    args[7] = Long.toString(lockMillis);
    args[8] = Integer.toString(ISOLATION_SLOTS);
    for (int i = 0; i < n; i++) {
      Success s = successes.get(i);
      keyNames[KEYS_FIXED + i] = keys.indexBucket(queue, s.id());
      args[ARGS_FIXED + 3 * i] = s.id();
      args[ARGS_FIXED + 3 * i + 1] = s.token();
      args[ARGS_FIXED + 3 * i + 2] = s.finishedValue();
    }
    return new Call(keyNames, args);
  }

  @SuppressWarnings("unchecked") // the script's reply: {codes, states, claimed, unnotified}
  private static Reply reply(List<Object> raw) {
    List<Object> codes = (List<Object>) raw.get(0);
    List<Object> states = (List<Object>) raw.get(1);
    List<Object> flat = (List<Object>) raw.get(2);
    List<ScriptStatus> statuses = new ArrayList<>(codes.size());
    List<String> stateList = new ArrayList<>(states.size());
    for (int i = 0; i < codes.size(); i++) {
      statuses.add(ScriptStatus.of(Script.CYCLE_V2, (Long) codes.get(i)));
      stateList.add((String) states.get(i));
    }
    List<Claimed> claimed = new ArrayList<>(flat.size() / 6);
    for (int i = 0; i + 5 < flat.size(); i += 6) {
      claimed.add(new Claimed((String) flat.get(i), (String) flat.get(i + 1), (String) flat.get(i + 2),
          ((Long) flat.get(i + 3)).intValue(), (String) flat.get(i + 4), (String) flat.get(i + 5)));
    }
    Object unnotified = raw.get(3);
    return new Reply(statuses, stateList, claimed, unnotified instanceof String s ? s : null,
        Isolation.of((String) raw.get(4)));
  }
}
