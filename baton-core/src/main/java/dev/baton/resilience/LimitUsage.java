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
 * @param at the Redis server time of the reading (the reader's clock for a malformed entry)
 * @param malformed null when the limit could be read; otherwise why not (a setting in its config hash
 *     that is not an integer, a key of the wrong type: written outside Baton). Such an entry stands for
 *     the whole limit: its key is {@code ""} and {@code used} and {@code max} are 0. Only {@link
 *     dev.baton.Inspector#limitUsage()} returns it, so that one bad limit does not hide the others.
 */
public record LimitUsage(String limit, String key, Kind kind, long used, long max, Instant at, String malformed) {
  /** The two kinds of limit. */
  public enum Kind {
    /** A budget of units per sliding interval ({@link RateLimiter}). */
    RATE,
    /** Leased permits for calls at once ({@link ConcurrencyLimiter}). */
    CONCURRENCY
  }

  /**
   * A reading of a limit that could be read ({@link #malformed()} null).
   *
   * @param limit the limit's name
   * @param key the key
   * @param kind a rate limit or a concurrency limit
   * @param used units granted, or permits held
   * @param max the budget or the number of permits
   * @param at the Redis server time of the reading
   * @throws NullPointerException when a component is null
   */
  public LimitUsage(String limit, String key, Kind kind, long used, long max, Instant at) {
    this(limit, key, kind, used, max, at, null);
  }

  /**
   * The entry of a limit that cannot be read.
   *
   * @param limit the limit's name
   * @param kind the kind its settings name (rate when they name none)
   * @param at when it was read
   * @param why why it cannot be read
   * @return an entry with key {@code ""}, {@code used} and {@code max} 0, and {@link #malformed()} = {@code why}
   */
  public static LimitUsage malformed(String limit, Kind kind, Instant at, String why) {
    return new LimitUsage(limit, "", kind, 0, 0, at, why == null ? "unreadable" : why);
  }

  /**
   * Whether the limit could be read.
   *
   * @return true when {@link #malformed()} is non-null
   */
  public boolean isMalformed() {
    return malformed != null;
  }

  /**
   * Checks that no component but {@code malformed} is null.
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
   * @return {@code used / max}: 0 when idle, 1 when full, above 1 after charges; 0 for a malformed
   *     entry
   */
  public double fill() {
    return max == 0 ? 0 : (double) used / max;
  }
}
