package dev.baton.internal.limits;

import dev.baton.RedisUnavailableException;
import dev.baton.resilience.EstimateTooLargeException;
import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.RateLimit;
import dev.baton.resilience.RateLimiter;
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

/** The Redis implementation of {@link RateLimiter}: one script per operation, Redis time. */
public final class RedisRateLimiter implements RateLimiter {
  /** Most keys one {@link #usage()} call reports. */
  public static final int MAX_USAGE_KEYS = 1000;

  private final LimitScripts scripts;
  private final String name;
  private final RateLimit limit;
  private final InstantSource clock;
  private final LongSupplier testNowMillis;
  private final LimitRegistration registration;

  public RedisRateLimiter(
      RedisBroker broker, String name, RateLimit limit, InstantSource clock, LongSupplier testNowMillis) {
    this.scripts = new LimitScripts(broker);
    this.name = LimitNames.name(name);
    this.limit = Objects.requireNonNull(limit, "limit");
    this.clock = clock;
    this.testNowMillis = testNowMillis;
    this.registration = new LimitRegistration(scripts, this.name, Map.of(
        "rate.budget", Long.toString(limit.budget()),
        "rate.interval-ms", Long.toString(limit.interval().toMillis())));
    registration.ensure();
  }

  @Override
  public String name() {
    return name;
  }

  public RateLimit limit() {
    return limit;
  }

  /** {@link #reserve(String, long)} under the key {@code "default"}. */
  public Reservation reserve(long units) {
    return reserve(LimitNames.DEFAULT_KEY, units);
  }

  /**
   * Reserves {@code units} under {@code key} if they fit in the current window, else refuses with a
   * retry-after. Each key has its own budget.
   *
   * @throws IllegalArgumentException when {@code units} is below 1 or the key is invalid
   * @throws EstimateTooLargeException when {@code units} exceeds the whole budget
   * @throws RedisUnavailableException when Redis cannot be reached
   */
  public Reservation reserve(String key, long units) {
    LimitNames.key(key);
    if (units < 1) {
      throw new IllegalArgumentException("units must be at least 1, got " + units);
    }
    if (units > limit.budget()) {
      throw new EstimateTooLargeException(name, units, limit.budget());
    }
    registration.ensure();
    String id = Ids.uuidV7(clock);
    LimitScripts.Reserved r = scripts.reserve(name, key, id, units, limit.budget(), limit.interval().toMillis(), now());
    return new Reservation(name, key, id, units, r.status() == ScriptStatus.OK, Instant.ofEpochMilli(r.atMillis()),
        Duration.ofMillis(r.retryAfterMillis()), r.used());
  }

  /**
   * Replaces a granted reservation's estimate with the units really used ({@code 0} or more):
   * refunds the difference, or charges it to the reservation's window (which may push that window
   * over the budget by this difference; later reservations then wait). Safe to call again: a
   * reservation is reconciled at most once.
   *
   * @return whether it was applied, and the units charged or refunded
   * @throws IllegalArgumentException when the reservation was refused, belongs to another limit, or
   *     {@code actualUnits} is negative
   * @throws RedisUnavailableException when Redis cannot be reached
   */
  public Reconciliation reconcile(Reservation reservation, long actualUnits) {
    Objects.requireNonNull(reservation, "reservation");
    if (!reservation.granted()) {
      throw new IllegalArgumentException("cannot reconcile a refused reservation");
    }
    if (!reservation.limit().equals(name)) {
      throw new IllegalArgumentException(
          "reservation of limit '" + reservation.limit() + "' reconciled on limit '" + name + "'");
    }
    if (actualUnits < 0 || actualUnits > RateLimit.MAX_BUDGET) {
      throw new IllegalArgumentException("actualUnits must be in [0, " + RateLimit.MAX_BUDGET + "], got " + actualUnits);
    }
    LimitNames.key(reservation.key());
    LimitScripts.Reconciled r = scripts.reconcile(name, reservation.key(), reservation.id(), reservation.units(),
        actualUnits);
    return new Reconciliation(r.status() == ScriptStatus.OK, r.difference(), Instant.ofEpochMilli(r.nowMillis()));
  }

  /** Units in the current window of {@code key}. */
  public LimitUsage usage(String key) {
    LimitNames.key(key);
    return usageOf(scripts, name, limit.budget(), limit.interval(), List.of(key), now()).get(0);
  }

  /** Units in the current window of every key used within the last interval (at most 1,000 keys). */
  public List<LimitUsage> usage() {
    List<String> keys = scripts.rateKeysInUse(name, MAX_USAGE_KEYS);
    return keys.isEmpty() ? List.of() : usageOf(scripts, name, limit.budget(), limit.interval(), keys, now());
  }

  /** @param now the time for tests; null: Redis time */
  public static List<LimitUsage> usageOf(
      LimitScripts scripts, String name, long budget, Duration interval, List<String> keys, Long now) {
    LimitScripts.Usage r = scripts.rateUsage(name, keys, interval.toMillis(), now);
    Instant at = Instant.ofEpochMilli(r.nowMillis());
    List<LimitUsage> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      out.add(new LimitUsage(name, keys.get(i), LimitUsage.Kind.RATE, r.perKey().get(i), budget, at));
    }
    return out;
  }

  private Long now() {
    return testNowMillis == null ? null : testNowMillis.getAsLong();
  }

}
