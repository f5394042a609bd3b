package dev.baton.resilience;

import java.time.Instant;
import java.util.Objects;

/**
 * How full one key of a limit is, at one instant of the Redis clock. A plain snapshot: it is stale
 * as soon as it is read. Immutable.
 *
 * @param limit the limit's name
 * @param key the key (tenant, API key id; {@code "default"} for calls without one)
 * @param kind a rate limit or a concurrency limit
 * @param used units granted in the current window (rate), or permits whose lease has not run out
 *     (concurrency); may exceed {@code max} by reconciliation charges
 * @param max the budget per interval (rate) or the number of permits (concurrency)
 * @param at the Redis server time of the reading
 */
public record LimitUsage(String limit, String key, Kind kind, long used, long max, Instant at) {
  /** The two kinds of limit. */
  public enum Kind {
    /** A budget of units per sliding interval ({@link RateLimiter}). */
    RATE,
    /** Leased permits for calls at once ({@link ConcurrencyLimiter}). */
    CONCURRENCY
  }

  /**
   * Checks that no component is null.
   *
   * @throws NullPointerException when one is
   */
  public LimitUsage {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(at, "at");
  }

  /**
   * How full the key is.
   *
   * @return {@code used / max}: 0 when idle, 1 when full, above 1 after charges
   */
  public double fill() {
    return (double) used / max;
  }
}
