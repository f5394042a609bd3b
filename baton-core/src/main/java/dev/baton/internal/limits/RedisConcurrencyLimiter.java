package dev.baton.internal.limits;

import dev.baton.BatonException;
import dev.baton.RedisUnavailableException;
import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.PermitLostException;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import dev.baton.internal.codec.Ids;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Redis implementation of {@link ConcurrencyLimiter}: one script per operation, Redis time. */
public final class RedisConcurrencyLimiter implements ConcurrencyLimiter {
  private static final Logger log = LoggerFactory.getLogger(RedisConcurrencyLimiter.class);

  private final RedisBroker broker;
  private final String name;
  private final ConcurrencyLimit limit;
  private final InstantSource clock;
  private final LongSupplier testNowMillis;
  private volatile boolean registered;


  public RedisConcurrencyLimiter(
      RedisBroker broker, String name, ConcurrencyLimit limit, InstantSource clock, LongSupplier testNowMillis) {
    this.broker = broker;
    this.name = LimitNames.name(name);
    this.limit = Objects.requireNonNull(limit, "limit");
    this.clock = clock;
    this.testNowMillis = testNowMillis;
    register();
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
    register();
    Keys k = broker.keys();
    String token = Ids.uuidV7(clock);
    List<Long> r = broker.runSync(Script.PERMIT_ACQUIRE, new String[] {k.permits(name, key), k.permitKeys(name)},
        token, Integer.toString(limit.permits()), Long.toString(limit.lease().toMillis()),
        Long.toString(limit.retryInterval().toMillis()), key, now());
    if (r.get(0) == 1) {
      return new Permit(name, key, token, true, Instant.ofEpochMilli(r.get(1)), Duration.ZERO, r.get(2));
    }
    return new Permit(name, key, token, false, Instant.ofEpochMilli(r.get(4)), Duration.ofMillis(r.get(1)), r.get(2));
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
    Keys k = broker.keys();
    List<Long> r = broker.runSync(Script.PERMIT_RENEW, new String[] {k.permits(name, permit.key()), k.permitKeys(name)},
        permit.token(), Long.toString(limit.lease().toMillis()), permit.key(), now());
    if (r.get(0) != 1) {
      throw new PermitLostException("permit " + permit.token() + " of limit '" + name + "' key '" + permit.key()
          + "' is no longer held: released, or its lease ran out");
    }
    return new Permit(name, permit.key(), permit.token(), true, Instant.ofEpochMilli(r.get(1)), Duration.ZERO,
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
    long code = broker.<Long>runSync(Script.PERMIT_RELEASE, new String[] {broker.keys().permits(name, permit.key())},
        permit.token(), now());
    return code == 1;
  }

  /** Permits in use under {@code key}. */
  public LimitUsage usage(String key) {
    LimitNames.key(key);
    return usageOf(broker, name, limit.permits(), List.of(key), now()).get(0);
  }

  /** Permits in use under every key with a lease not yet run out (at most 1,000 keys). */
  public List<LimitUsage> usage() {
    List<String> keys = broker.zrange(broker.keys().permitKeys(name), RedisRateLimiter.MAX_USAGE_KEYS);
    return keys.isEmpty() ? List.of() : usageOf(broker, name, limit.permits(), keys, now());
  }

  public static List<LimitUsage> usageOf(RedisBroker broker, String name, long permits, List<String> keys, String now) {
    Keys k = broker.keys();
    String[] keyNames = keys.stream().map(key -> k.permits(name, key)).toArray(String[]::new);
    List<Long> r = broker.runSync(Script.PERMIT_USAGE, keyNames, now);
    Instant at = Instant.ofEpochMilli(r.get(0));
    List<LimitUsage> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      out.add(new LimitUsage(name, keys.get(i), LimitUsage.Kind.CONCURRENCY, r.get(i + 1), permits, at));
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

  private String now() {
    return testNowMillis == null ? "" : Long.toString(testNowMillis.getAsLong());
  }

  /** Best effort: the index only serves readers, so an outage here must not fail the caller. */
  private void register() {
    if (registered) {
      return;
    }
    try {
      broker.registerLimit(name, Map.of("permits.max", Integer.toString(limit.permits()),
          "permits.lease-ms", Long.toString(limit.lease().toMillis())));
      registered = true;
    } catch (BatonException e) {
      log.debug("could not register concurrency limit {} yet: {}", name, e.getMessage());
    }
  }
}
