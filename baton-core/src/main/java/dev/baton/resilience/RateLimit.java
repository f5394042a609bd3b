package dev.baton.resilience;

import dev.baton.BatonClient;
import java.time.Duration;
import java.util.Objects;

/**
 * A budget of units per sliding interval, shared by every process that uses the same limit name
 * (see {@link BatonClient#rateLimiter(String, RateLimit)}). A unit is whatever the caller counts:
 * one request ({@link #requests}), or a weight such as LLM tokens ({@link #units}).
 *
 * <p>The window slides: at any instant, the units reserved in the preceding {@code interval}
 * (measured by the Redis server clock) must fit in {@code budget}. Immutable and thread-safe.
 *
 * @param budget units allowed per interval, 1 to {@value #MAX_BUDGET}
 * @param interval the window length, 1 s to 1 day, whole milliseconds
 */
public record RateLimit(long budget, Duration interval) {
  /** Largest budget: keeps every sum well inside Lua's exact integer range (2^53). */
  public static final long MAX_BUDGET = 1_000_000_000_000L;

  /** Shortest interval: 1 s. */
  public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
  /** Longest interval: 1 day. */
  public static final Duration MAX_INTERVAL = Duration.ofDays(1);

  /**
   * Validates the budget and interval.
   *
   * @throws IllegalArgumentException when either is out of range
   */
  public RateLimit {
    Objects.requireNonNull(interval, "interval");
    if (budget < 1 || budget > MAX_BUDGET) {
      throw new IllegalArgumentException("budget must be in [1, " + MAX_BUDGET + "], got " + budget);
    }
    if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
      throw new IllegalArgumentException("interval must be in [1s, 1d], got " + interval);
    }
    if (interval.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException("interval must be whole milliseconds, got " + interval);
    }
  }

  /**
   * {@code requests} calls per {@code interval}; each call reserves one unit.
   *
   * @param requests calls per interval
   * @param interval the window length
   * @return the limit
   */
  public static RateLimit requests(long requests, Duration interval) {
    return new RateLimit(requests, interval);
  }

  /**
   * {@code units} weighted units (e.g. tokens) per {@code interval}.
   *
   * @param units units per interval
   * @param interval the window length
   * @return the limit
   */
  public static RateLimit units(long units, Duration interval) {
    return new RateLimit(units, interval);
  }

  /**
   * {@code units} weighted units per minute, the usual form of an LLM tokens-per-minute limit.
   *
   * @param units units per minute
   * @return the limit
   */
  public static RateLimit unitsPerMinute(long units) {
    return new RateLimit(units, Duration.ofMinutes(1));
  }
}
