package dev.baton.internal.limits;

import dev.baton.BatonException;
import dev.baton.RedisUnavailableException;
import dev.baton.resilience.EstimateTooLargeException;
import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.RateLimit;
import dev.baton.resilience.RateLimiter;
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

/** The Redis implementation of {@link RateLimiter}: one script per operation, Redis time. */
public final class RedisRateLimiter implements RateLimiter {
  private static final Logger log = LoggerFactory.getLogger(RedisRateLimiter.class);
  /** Most keys one {@link #usage()} call reports. */
  public static final int MAX_USAGE_KEYS = 1000;

  private final RedisBroker broker;
  private final String name;
  private final RateLimit limit;
  private final InstantSource clock;
  private final LongSupplier testNowMillis;
  private volatile boolean registered;



  public RedisRateLimiter(
      RedisBroker broker, String name, RateLimit limit, InstantSource clock, LongSupplier testNowMillis) {
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
    register();
    Keys k = broker.keys();
    String id = Ids.uuidV7(clock);
    List<Long> r = broker.runSync(Script.RATE_RESERVE,
        new String[] {k.rateLog(name, key), k.rateSum(name, key), k.rateKeys(name)},
        id, Long.toString(units), Long.toString(limit.budget()), Long.toString(limit.interval().toMillis()), key,
        now());
    long code = r.get(0);
    if (code == 1) {
      return new Reservation(name, key, id, units, true, Instant.ofEpochMilli(r.get(1)), Duration.ZERO, r.get(2));
    }
    if (code == 0) {
      return new Reservation(name, key, id, units, false, Instant.ofEpochMilli(r.get(3)), Duration.ofMillis(r.get(1)),
          r.get(2));
    }
    throw new EstimateTooLargeException(name, units, r.get(1));
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
    Keys k = broker.keys();
    List<Long> r = broker.runSync(Script.RATE_RECONCILE,
        new String[] {k.rateLog(name, reservation.key()), k.rateSum(name, reservation.key())},
        reservation.id(), Long.toString(reservation.units()), Long.toString(actualUnits));
    return new Reconciliation(r.get(0) == 1, r.get(1), Instant.ofEpochMilli(r.get(2)));
  }

  /** Units in the current window of {@code key}. */
  public LimitUsage usage(String key) {
    LimitNames.key(key);
    return usageOf(broker, name, limit.budget(), limit.interval(), List.of(key), now()).get(0);
  }

  /** Units in the current window of every key used within the last interval (at most 1,000 keys). */
  public List<LimitUsage> usage() {
    List<String> keys = broker.zrange(broker.keys().rateKeys(name), MAX_USAGE_KEYS);
    return keys.isEmpty() ? List.of() : usageOf(broker, name, limit.budget(), limit.interval(), keys, now());
  }

  public static List<LimitUsage> usageOf(
      RedisBroker broker, String name, long budget, Duration interval, List<String> keys, String now) {
    Keys k = broker.keys();
    List<String> keyNames = new ArrayList<>();
    for (String key : keys) {
      keyNames.add(k.rateLog(name, key));
      keyNames.add(k.rateSum(name, key));
    }
    List<Long> r = broker.runSync(Script.RATE_USAGE, keyNames.toArray(String[]::new),
        Long.toString(interval.toMillis()), now);
    Instant at = Instant.ofEpochMilli(r.get(0));
    List<LimitUsage> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      out.add(new LimitUsage(name, keys.get(i), LimitUsage.Kind.RATE, r.get(i + 1), budget, at));
    }
    return out;
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
      broker.registerLimit(name, Map.of("rate.budget", Long.toString(limit.budget()),
          "rate.interval-ms", Long.toString(limit.interval().toMillis())));
      registered = true;
    } catch (BatonException e) {
      log.debug("could not register rate limit {} yet: {}", name, e.getMessage());
    }
  }
}
