package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import dev.baton.resilience.EstimateTooLargeException;
import dev.baton.resilience.PermitLostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway of the fleet-wide limits: rate-reserve.lua, rate-reconcile.lua and rate-usage.lua
 * (rate limits), permit-acquire.lua, permit-renew.lua, permit-release.lua and permit-usage.lua
 * (concurrency limits), and the index of limits with their registered settings. The only code
 * that knows those scripts' KEYS/ARGV layouts and reply shapes. Every call waits, up to the command
 * timeout. {@code testNowMillis}: the time the scripts use instead of Redis TIME, for tests; null
 * in production. Thread-safe.
 */
public final class LimitScripts {
  private final RedisBroker broker;
  private final Keys keys;

  public LimitScripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * A reservation asked: {@link ScriptStatus#OK} granted at {@code atMillis}, or {@link
   * ScriptStatus#REFUSED} at {@code atMillis} (Redis time) with the wait until it would fit;
   * {@code used} counts the units in the window (including these when granted).
   */
  public record Reserved(ScriptStatus status, long atMillis, long retryAfterMillis, long used) {}

  /** {@link ScriptStatus#OK} applied ({@code difference} = used - reserved) or {@link ScriptStatus#UNCHANGED}. */
  public record Reconciled(ScriptStatus status, long difference, long nowMillis) {}

  /** Units or permits in use per key, in the order asked, at {@code nowMillis}. */
  public record Usage(long nowMillis, List<Long> perKey) {}

  /**
   * A permit asked: {@link ScriptStatus#OK} granted until {@code expiresAtMillis}, or {@link
   * ScriptStatus#REFUSED} with the wait before asking again; {@code inUse} counts this permit when
   * granted, {@code reclaimed} the expired holders removed by this call.
   */
  public record PermitDecision(ScriptStatus status, long expiresAtMillis, long retryAfterMillis, long inUse,
      long reclaimed, long nowMillis) {}

  // ---- rate limits ---------------------------------------------------------------------------

  /**
   * Reserves {@code units} of limit {@code name} under {@code key} if they fit in the current
   * window (rate-reserve.lua). Idempotent on {@code reservationId}.
   *
   * @throws EstimateTooLargeException when {@code units} exceeds the whole budget
   */
  public Reserved reserve(String name, String key, String reservationId, long units, long budget, long intervalMillis,
      Long testNowMillis) {
    List<Long> r = ScriptErrors.typed(() -> broker.runSync(Script.RATE_RESERVE,
        new String[] {keys.rateLog(name, key), keys.rateSum(name, key), keys.rateKeys(name)},
        reservationId, Long.toString(units), Long.toString(budget), Long.toString(intervalMillis), key,
        now(testNowMillis)));
    ScriptStatus status = ScriptStatus.of(Script.RATE_RESERVE, r.get(0));
    ScriptErrors.throwIfReservationError(status, name, units, r.get(1));
    return status == ScriptStatus.OK
        ? new Reserved(status, r.get(1), 0, r.get(2))
        : new Reserved(status, r.get(3), r.get(1), r.get(2));
  }

  /** Replaces a granted reservation's estimate with the units really used (rate-reconcile.lua); at most once. */
  public Reconciled reconcile(String name, String key, String reservationId, long reservedUnits, long actualUnits) {
    List<Long> r = ScriptErrors.typed(() -> broker.runSync(Script.RATE_RECONCILE,
        new String[] {keys.rateLog(name, key), keys.rateSum(name, key)},
        reservationId, Long.toString(reservedUnits), Long.toString(actualUnits)));
    return new Reconciled(ScriptStatus.of(Script.RATE_RECONCILE, r.get(0)), r.get(1), r.get(2));
  }

  /** Units in the current window of each of {@code limitKeys} (rate-usage.lua). Read-only. */
  public Usage rateUsage(String name, List<String> limitKeys, long intervalMillis, Long testNowMillis) {
    String[] keyNames = new String[2 * limitKeys.size()];
    for (int i = 0; i < limitKeys.size(); i++) {
      keyNames[2 * i] = keys.rateLog(name, limitKeys.get(i));
      keyNames[2 * i + 1] = keys.rateSum(name, limitKeys.get(i));
    }
    return usage(broker.runSync(Script.RATE_USAGE, keyNames, Long.toString(intervalMillis), now(testNowMillis)));
  }

  /** Keys of rate limit {@code name} used within the last interval, at most {@code max}. */
  public List<String> rateKeysInUse(String name, int max) {
    return broker.await(broker.zrange(keys.rateKeys(name), 0, max - 1));
  }

  // ---- concurrency limits --------------------------------------------------------------------

  /** Takes a permit of limit {@code name} under {@code key} if one is free (permit-acquire.lua). Idempotent on {@code token}. */
  public PermitDecision acquirePermit(String name, String key, String token, int permits, long leaseMillis,
      long retryIntervalMillis, Long testNowMillis) {
    List<Long> r = ScriptErrors.typed(() -> broker.runSync(Script.PERMIT_ACQUIRE,
        new String[] {keys.permits(name, key), keys.permitKeys(name)},
        token, Integer.toString(permits), Long.toString(leaseMillis), Long.toString(retryIntervalMillis), key,
        now(testNowMillis)));
    ScriptStatus status = ScriptStatus.of(Script.PERMIT_ACQUIRE, r.get(0));
    return status == ScriptStatus.OK
        ? new PermitDecision(status, r.get(1), 0, r.get(2), r.get(3), r.get(4))
        : new PermitDecision(status, 0, r.get(1), r.get(2), r.get(3), r.get(4));
  }

  /**
   * Extends a held permit's lease to now + {@code leaseMillis} (permit-renew.lua); returns the new expiry.
   *
   * @throws PermitLostException when the permit was released or its lease had run out
   */
  public long renewPermit(String name, String key, String token, long leaseMillis, Long testNowMillis) {
    List<Long> r = ScriptErrors.typed(() -> broker.runSync(Script.PERMIT_RENEW,
        new String[] {keys.permits(name, key), keys.permitKeys(name)},
        token, Long.toString(leaseMillis), key, now(testNowMillis)));
    ScriptErrors.throwIfPermitError(ScriptStatus.of(Script.PERMIT_RENEW, r.get(0)), name, key, token);
    return r.get(1);
  }

  /**
   * Gives a permit back (permit-release.lua): {@link ScriptStatus#OK} released, {@link
   * ScriptStatus#UNCHANGED} not held, or {@link ScriptStatus#EXPIRED} (its lease had run out).
   */
  public ScriptStatus releasePermit(String name, String key, String token, Long testNowMillis) {
    long code = ScriptErrors.<Long>typed(() -> broker.runSync(Script.PERMIT_RELEASE,
        new String[] {keys.permits(name, key)}, token, now(testNowMillis)));
    return ScriptStatus.of(Script.PERMIT_RELEASE, code);
  }

  /** Permits in use under each of {@code limitKeys} (permit-usage.lua). Read-only. */
  public Usage permitUsage(String name, List<String> limitKeys, Long testNowMillis) {
    String[] keyNames = new String[limitKeys.size()];
    for (int i = 0; i < limitKeys.size(); i++) {
      keyNames[i] = keys.permits(name, limitKeys.get(i));
    }
    return usage(broker.runSync(Script.PERMIT_USAGE, keyNames, now(testNowMillis)));
  }

  /** Keys of concurrency limit {@code name} with a lease not yet run out, at most {@code max}. */
  public List<String> permitKeysInUse(String name, int max) {
    return broker.await(broker.zrange(keys.permitKeys(name), 0, max - 1));
  }

  // ---- the index of limits -------------------------------------------------------------------

  /**
   * Records a limit's name in the index of limits and its settings in its config hash, for readers
   * that do not hold its config (inspector, CLI). Not part of any limit's state: no script reads them.
   */
  public void register(String name, Map<String, String> settings) {
    CompletableFuture<Long> added = broker.sadd(keys.limits(), name);
    CompletableFuture<Long> set = broker.hset(keys.limitConfig(name), settings);
    broker.await(added);
    broker.await(set);
  }

  /** The key of limit {@code name}'s config hash, for messages. */
  public String configKey(String name) {
    return keys.limitConfig(name);
  }

  /** Registered limit names, sorted. */
  public List<String> names() {
    return broker.await(broker.smembersSorted(keys.limits()));
  }

  /** The settings limit {@code name} was last registered with (empty when none). */
  public Map<String, String> settings(String name) {
    return broker.await(broker.hgetall(keys.limitConfig(name)));
  }

  private static Usage usage(List<Long> r) {
    return new Usage(r.get(0), r.subList(1, r.size()));
  }

  private static String now(Long testNowMillis) {
    return testNowMillis == null ? "" : Long.toString(testNowMillis);
  }
}
