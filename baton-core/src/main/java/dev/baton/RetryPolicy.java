package dev.baton;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: the delay before retry {@code n} (n = 1 after the first
 * failure) is uniform in {@code [0, min(cap, base * multiplier^(n-1))]}. A pure function of the
 * attempt number and a random source, so tests can drive it. Immutable and thread-safe.
 *
 * @param base first ceiling, at least 1 ms
 * @param multiplier growth per attempt, at least 1.0
 * @param cap largest ceiling, at least {@code base}
 */
public record RetryPolicy(Duration base, double multiplier, Duration cap) {
  /** 1 s. */
  public static final Duration DEFAULT_BASE = Duration.ofSeconds(1);
  /** 2.0: the ceiling doubles per retry. */
  public static final double DEFAULT_MULTIPLIER = 2.0;
  /** 10 minutes. */
  public static final Duration DEFAULT_CAP = Duration.ofMinutes(10);
  /** Base 1 s, multiplier 2.0, cap 10 min: the policy of handlers that set none. */
  public static final RetryPolicy DEFAULT = new RetryPolicy(DEFAULT_BASE, DEFAULT_MULTIPLIER, DEFAULT_CAP);

  /**
   * Validates the policy.
   *
   * @throws IllegalArgumentException when a value is out of range, quoting it
   */
  public RetryPolicy {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(cap, "cap");
    if (base.toMillis() < 1) {
      throw new IllegalArgumentException("base must be at least 1ms, got " + base);
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("multiplier must be a finite number >= 1.0, got " + multiplier);
    }
    if (cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("cap " + cap + " must not be below base " + base);
    }
  }

  /**
   * The policy with these values; reads better at a call site than the constructor.
   *
   * @param base first ceiling, at least 1 ms
   * @param multiplier growth per attempt, at least 1.0
   * @param cap largest ceiling, at least {@code base}
   * @return the policy
   * @throws IllegalArgumentException when a value is out of range
   */
  public static RetryPolicy exponential(Duration base, double multiplier, Duration cap) {
    return new RetryPolicy(base, multiplier, cap);
  }

  /**
   * The ceiling of the delay before retry {@code retry}, without jitter.
   *
   * @param retry the retry's number, 1-based
   * @return {@code min(cap, base * multiplier^(retry-1))}, in ms
   * @throws IllegalArgumentException when {@code retry} is below 1
   */
  public long ceilingMillis(int retry) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry is 1-based, got " + retry);
    }
    double ceiling = base.toMillis() * Math.pow(multiplier, retry - 1);
    return (long) Math.min(ceiling, cap.toMillis());
  }

  /**
   * The jittered delay before retry {@code retry}.
   *
   * @param retry the retry's number, 1-based
   * @param random a number in [0, 1) on each call
   * @return a delay uniform in [0, {@link #ceilingMillis}]
   */
  public Duration delayFor(int retry, DoubleSupplier random) {
    return Duration.ofMillis((long) (random.getAsDouble() * (ceilingMillis(retry) + 1)));
  }

  /**
   * Wire form stored in a task record.
   *
   * @return {@code "baseMs,multiplier,capMs"}
   */
  public String toWire() {
    return base.toMillis() + "," + multiplier + "," + cap.toMillis();
  }

  /**
   * Parses {@link #toWire()}'s form.
   *
   * @param wire {@code "baseMs,multiplier,capMs"}
   * @return the policy
   * @throws IllegalArgumentException on malformed text or values out of range
   */
  public static RetryPolicy fromWire(String wire) {
    String[] parts = wire.split(",", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("backoff must be 'baseMs,multiplier,capMs', got '" + wire + "'");
    }
    try {
      return new RetryPolicy(
          Duration.ofMillis(Long.parseLong(parts[0])),
          Double.parseDouble(parts[1]),
          Duration.ofMillis(Long.parseLong(parts[2])));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("backoff must be 'baseMs,multiplier,capMs', got '" + wire + "'", e);
    }
  }
}
