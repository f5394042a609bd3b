package dev.baton.resilience;

import dev.baton.BatonClient;
import java.time.Duration;
import java.util.Objects;

/**
 * At most {@code permits} calls at once, fleet-wide, per limit name and key (see {@link
 * BatonClient#concurrencyLimiter(String, ConcurrencyLimit)}). A permit is leased: unless it is
 * renewed, it comes back by itself once {@code lease} has passed on the Redis clock, so the permits
 * of a process killed with {@code kill -9} are not lost. Immutable and thread-safe; build with {@link #of(int)} and
 * the {@code with*} methods.
 *
 * @param permits calls allowed at once, 1 to 100,000
 * @param lease how long a permit stays valid without {@link ConcurrencyLimiter#renew}; 1 s to 1 day
 *     (default {@link #DEFAULT_LEASE})
 * @param retryInterval the retry-after of a refusal when no lease runs out sooner: a holder may
 *     release at any moment, so a refused caller should look again after about this long; 10 ms to
 *     the lease (default {@link #DEFAULT_RETRY_INTERVAL})
 */
public record ConcurrencyLimit(int permits, Duration lease, Duration retryInterval) {
  /** Most permits per key: 100,000. */
  public static final int MAX_PERMITS = 100_000;
  /** 30 s. */
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
  /** 200 ms. */
  public static final Duration DEFAULT_RETRY_INTERVAL = Duration.ofMillis(200);

  /**
   * Validates the settings.
   *
   * @throws IllegalArgumentException when a value is out of range
   */
  public ConcurrencyLimit {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(retryInterval, "retryInterval");
    if (permits < 1 || permits > MAX_PERMITS) {
      throw new IllegalArgumentException("permits must be in [1, " + MAX_PERMITS + "], got " + permits);
    }
    if (lease.compareTo(Duration.ofSeconds(1)) < 0 || lease.compareTo(Duration.ofDays(1)) > 0) {
      throw new IllegalArgumentException("lease must be in [1s, 1d], got " + lease);
    }
    if (retryInterval.compareTo(Duration.ofMillis(10)) < 0 || retryInterval.compareTo(lease) > 0) {
      throw new IllegalArgumentException("retryInterval must be in [10ms, lease], got " + retryInterval);
    }
  }

  /**
   * {@code permits} at once, with the default lease and retry interval.
   *
   * @param permits calls allowed at once, 1 to 100,000
   * @return the limit
   */
  public static ConcurrencyLimit of(int permits) {
    return new ConcurrencyLimit(permits, DEFAULT_LEASE, DEFAULT_RETRY_INTERVAL);
  }

  /**
   * A copy with another lease (default 30 s).
   *
   * @param lease 1 s to 1 day, at least the retry interval
   * @return the new limit
   */
  public ConcurrencyLimit withLease(Duration lease) {
    return new ConcurrencyLimit(permits, lease, retryInterval);
  }

  /**
   * A copy with another retry interval (default 200 ms).
   *
   * @param retryInterval 10 ms to the lease
   * @return the new limit
   */
  public ConcurrencyLimit withRetryInterval(Duration retryInterval) {
    return new ConcurrencyLimit(permits, lease, retryInterval);
  }
}
