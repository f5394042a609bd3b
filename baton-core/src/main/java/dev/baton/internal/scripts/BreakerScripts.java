package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.BreakerTransition;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The gateway of the distributed circuit breakers: breaker-acquire.lua, breaker-record.lua and
 * breaker-state.lua, the transitions stream and the index of dependencies. The only code that
 * knows those scripts' KEYS/ARGV layouts and reply shapes. A worker's breaker calls wait at most
 * the {@code within} they are given (it has a local fallback and must not stall); the inspector's
 * wait up to the command timeout. Thread-safe.
 */
public final class BreakerScripts {
  /** Transitions kept in a breaker's events stream (approximately). */
  static final String EVENTS_CAP = "1000";

  private final RedisBroker broker;
  private final Keys keys;

  public BreakerScripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * A permission asked: {@link ScriptStatus#OK} allowed (closed), {@link ScriptStatus#PROBE}
   * allowed as a half-open probe (its lease taken), or {@link ScriptStatus#REFUSED};
   * {@code retryAfterMillis} is the time left in open; {@code transition} is the move from open
   * to half-open this call made, or null.
   */
  public record Decision(ScriptStatus status, BreakerState state, long gen, long retryAfterMillis,
      BreakerTransition transition) {
    public boolean allowed() {
      return status != ScriptStatus.REFUSED;
    }
  }

  /**
   * An outcome recorded ({@link ScriptStatus#OK}) or ignored ({@link ScriptStatus#UNCHANGED}), with
   * the breaker's state after it and the transition the call made, or null.
   */
  public record Recorded(ScriptStatus status, BreakerState state, long gen, BreakerTransition transition) {}

  /** What a call's outcome says about the dependency. */
  public enum Outcome {
    SUCCESS("success"),
    FAILURE("failure"),
    /** Says nothing about the dependency: a probe's slot is given back, nothing is counted. */
    IGNORE("ignore");

    private final String wire;

    Outcome(String wire) {
      this.wire = wire;
    }
  }

  /**
   * A breaker as breaker-state.lua reads it; one never written reads as closed, gen 0. {@code
   * malformed}: null, or which field could not be read (the figures read as 0 where they could not).
   */
  public record Snapshot(BreakerState state, long gen, long sinceMillis, long openRemainingMillis, long calls,
      long failures, long slowCalls, long probesInFlight, long probeSuccesses, long nowMillis, String malformed) {}

  /** Asks {@code dependency}'s breaker for permission (breaker-acquire.lua), waiting at most {@code within}. */
  public Decision acquire(String dependency, BreakerConfig config, String probeId, Duration within) {
    List<Object> r = ScriptErrors.typed(() -> broker.runWithin(within, Script.BREAKER_ACQUIRE,
        stateKeys(dependency, true), Integer.toString(config.permittedProbes()),
        Long.toString(config.probeLease().toMillis()), probeId, EVENTS_CAP, keys.breakerChannel(dependency)));
    ScriptErrors.unnotified(Script.BREAKER_ACQUIRE, "dependency " + dependency, r.size() > 5 ? r.get(5) : null);
    long gen = (Long) r.get(2);
    long movedAt = r.size() > 4 ? (Long) r.get(4) : 0;
    BreakerTransition moved = movedAt == 0 ? null : new BreakerTransition(dependency, BreakerState.OPEN,
        BreakerState.HALF_OPEN, gen, Instant.ofEpochMilli(movedAt), "wait in open elapsed");
    return new Decision(ScriptStatus.of(Script.BREAKER_ACQUIRE, (Long) r.get(0)),
        BreakerState.fromWire((String) r.get(1)), gen, (Long) r.get(3), moved);
  }

  /**
   * Records a call's outcome (breaker-record.lua) under the {@code gen} its permission was given
   * in, applying the transitions it causes; waits at most {@code within}.
   *
   * @param probeId the probe's id, {@code ""} when the call was no probe
   */
  public Recorded record(String dependency, BreakerConfig config, long gen, String probeId, Outcome outcome,
      boolean slow, Duration within) {
    List<Object> r = ScriptErrors.typed(() -> broker.runWithin(within, Script.BREAKER_RECORD,
        stateKeys(dependency, true), Long.toString(gen), probeId, outcome.wire, slow ? "1" : "0",
        config.windowType().name().toLowerCase(Locale.ROOT), Integer.toString(config.windowSize()),
        Integer.toString(config.minimumCalls()), Float.toString(config.failureRateThreshold()),
        Float.toString(config.slowCallRateThreshold()), Integer.toString(config.permittedProbes()),
        Long.toString(config.waitInOpen().toMillis()), EVENTS_CAP, keys.breakerChannel(dependency)));
    ScriptErrors.unnotified(Script.BREAKER_RECORD, "dependency " + dependency, r.size() > 6 ? r.get(6) : null);
    BreakerState state = BreakerState.fromWire((String) r.get(1));
    long newGen = (Long) r.get(2);
    String from = r.size() > 5 ? (String) r.get(3) : "";
    BreakerTransition moved = from.isEmpty() ? null : new BreakerTransition(dependency, BreakerState.fromWire(from),
        state, newGen, Instant.ofEpochMilli((Long) r.get(5)), (String) r.get(4));
    return new Recorded(ScriptStatus.of(Script.BREAKER_RECORD, (Long) r.get(0)), state, newGen, moved);
  }

  /** Reads {@code dependency}'s breaker (breaker-state.lua), waiting up to the command timeout. */
  public Snapshot state(String dependency) {
    return snapshot(broker.runSync(Script.BREAKER_STATE, stateKeys(dependency, false)));
  }

  /** Reads {@code dependency}'s breaker (breaker-state.lua), waiting at most {@code within}. */
  public Snapshot state(String dependency, Duration within) {
    return snapshot(broker.runWithin(within, Script.BREAKER_STATE, stateKeys(dependency, false)));
  }

  private static Snapshot snapshot(List<Object> r) {
    return new Snapshot(BreakerState.fromWire((String) r.get(0)), (Long) r.get(1), (Long) r.get(2), (Long) r.get(3),
        (Long) r.get(4), (Long) r.get(5), (Long) r.get(6), (Long) r.get(7), (Long) r.get(8), (Long) r.get(9),
        r.size() > 10 && !"".equals(r.get(10)) ? (String) r.get(10) : null);
  }

  /** The key of {@code dependency}'s breaker hash, for messages. */
  public String breakerKey(String dependency) {
    return keys.breaker(dependency);
  }

  /** breaker, probes, window, and (for the writing scripts) events. */
  private String[] stateKeys(String dependency, boolean withEvents) {
    String[] k = new String[withEvents ? 4 : 3];
    k[0] = keys.breaker(dependency);
    k[1] = keys.breakerProbes(dependency);
    k[2] = keys.breakerWindow(dependency);
    if (withEvents) {
      k[3] = keys.breakerEvents(dependency);
    }
    return k;
  }

  /**
   * The latest transitions of {@code dependency}'s breaker (about {@value #EVENTS_CAP} are kept),
   * oldest first; entries the breaker scripts did not write are left out.
   */
  public List<BreakerTransition> transitions(String dependency) {
    List<BreakerTransition> out = new ArrayList<>();
    for (Map<String, String> e : broker.await(broker.xrangeBodies(keys.breakerEvents(dependency)))) {
      try {
        out.add(new BreakerTransition(dependency, BreakerState.fromWire(e.get("from")),
            BreakerState.fromWire(e.get("to")), Long.parseLong(e.get("gen")),
            Instant.ofEpochMilli(Long.parseLong(e.get("at"))), e.getOrDefault("reason", "")));
      } catch (RuntimeException malformed) {
        // an entry not written by the breaker scripts: not a transition
      }
    }
    return out;
  }

  /** Adds {@code name} to the index of dependencies (for listing only). */
  public void registerDependency(String name) {
    broker.await(broker.sadd(keys.dependencies(), name));
  }

  /** Every dependency a worker registered, sorted. */
  public List<String> dependencies() {
    return broker.await(broker.smembersSorted(keys.dependencies()));
  }
}
