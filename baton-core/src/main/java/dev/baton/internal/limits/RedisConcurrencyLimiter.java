package dev.baton.internal.limits;

import dev.baton.RedisUnavailableException;
import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.PermitLostException;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.codec.Ids;
import dev.baton.internal.scripts.LimitScripts;
import dev.baton.internal.scripts.ScriptStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/** The Redis implementation of {@link ConcurrencyLimiter}: one script per operation, Redis time. */
public final class RedisConcurrencyLimiter implements ConcurrencyLimiter {

  private final LimitScripts scripts;
  private final String name;
  private final ConcurrencyLimit limit;
  private final InstantSource clock;
  private final LongSupplier testNowMillis;
  private final LimitRegistration registration;

  public RedisConcurrencyLimiter(
      RedisBroker broker, String name, ConcurrencyLimit limit, InstantSource clock, LongSupplier testNowMillis) {
    this.scripts = new LimitScripts(broker);
    this.name = LimitNames.name(name);
    this.limit = Objects.requireNonNull(limit, "limit");
    this.clock = clock;
    this.testNowMillis = testNowMillis;
    this.registration = new LimitRegistration(scripts, this.name, Map.of(
        "permits.max", Integer.toString(limit.permits()),
        "permits.lease-ms", Long.toString(limit.lease().toMillis())));
    registration.ensure();
  }

  @Override
  public String name() {
    return name;
  }

  public ConcurrencyLimit limit() {
    return limit;
  }

  /** {@link #acquire(String)} under the key {@code "default"}. */
  public Permit acquire() {
    return acquire(LimitNames.DEFAULT_KEY);
  }

  /**
   * Takes a permit under {@code key} if one is free (reclaiming expired ones first), else refuses
   * with a retry-after. Each key has its own permits.
   *
   * @throws RedisUnavailableException when Redis cannot be reached
   */
  public Permit acquire(String key) {
    LimitNames.key(key);
    registration.ensure();
    String token = Ids.uuidV7(clock);
    LimitScripts.PermitDecision r = scripts.acquirePermit(name, key, token, limit.permits(), limit.lease().toMillis(),
        limit.retryInterval().toMillis(), now());
    if (r.status() == ScriptStatus.OK) {
      return new Permit(name, key, token, true, Instant.ofEpochMilli(r.expiresAtMillis()), Duration.ZERO, r.inUse());
    }
    return new Permit(name, key, token, false, Instant.ofEpochMilli(r.nowMillis()),
        Duration.ofMillis(r.retryAfterMillis()), r.inUse());
  }

  /**
   * Extends a held permit's lease to now + the lease, on the Redis clock.
   *
   * @return the permit with its new expiry
   * @throws PermitLostException when the permit was released or its lease had run out
   * @throws IllegalArgumentException when the permit was refused or belongs to another limit
   * @throws RedisUnavailableException when Redis cannot be reached
   */
  public Permit renew(Permit permit) {
    check(permit);
    long expiresAt = scripts.renewPermit(name, permit.key(), permit.token(), limit.lease().toMillis(), now());
    return new Permit(name, permit.key(), permit.token(), true, Instant.ofEpochMilli(expiresAt), Duration.ZERO,
        permit.inUse());
  }

  /**
   * Gives a permit back. Safe to call again, and after the lease ran out: it never frees another
   * holder's permit.
   *
   * @return true if this call released a held permit; false if it was released before or its lease
   *     had already run out (then the call it protected ran partly outside the limit)
   * @throws RedisUnavailableException when Redis cannot be reached; the permit then comes back when
   *     its lease runs out
   */
  public boolean release(Permit permit) {
    check(permit);
    return scripts.releasePermit(name, permit.key(), permit.token(), now()) == ScriptStatus.OK;
  }

  /** Permits in use under {@code key}. */
  public LimitUsage usage(String key) {
    LimitNames.key(key);
    return usageOf(scripts, name, limit.permits(), List.of(key), now()).get(0);
  }

  /** Permits in use under every key with a lease not yet run out (at most 1,000 keys). */
  public List<LimitUsage> usage() {
    List<String> keys = scripts.permitKeysInUse(name, RedisRateLimiter.MAX_USAGE_KEYS);
    return keys.isEmpty() ? List.of() : usageOf(scripts, name, limit.permits(), keys, now());
  }

  /** @param now the time for tests; null: Redis time */
  public static List<LimitUsage> usageOf(LimitScripts scripts, String name, long permits, List<String> keys, Long now) {
    LimitScripts.Usage r = scripts.permitUsage(name, keys, now);
    Instant at = Instant.ofEpochMilli(r.nowMillis());
    List<LimitUsage> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      out.add(new LimitUsage(name, keys.get(i), LimitUsage.Kind.CONCURRENCY, r.perKey().get(i), permits, at));
    }
    return out;
  }

  private void check(Permit permit) {
    Objects.requireNonNull(permit, "permit");
    if (!permit.granted()) {
      throw new IllegalArgumentException("permit " + permit.token() + " was refused, not held");
    }
    if (!permit.limit().equals(name)) {
      throw new IllegalArgumentException("permit of limit '" + permit.limit() + "' used on limit '" + name + "'");
    }
    LimitNames.key(permit.key());
  }

  private Long now() {
    return testNowMillis == null ? null : testNowMillis.getAsLong();
  }

}
