package dev.baton.resilience;

import dev.baton.BatonClient;
import dev.baton.RedisUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A fleet-wide concurrency limit: at most {@link ConcurrencyLimit#permits()} calls at once per key,
 * across every process holding a limiter of the same name. Get one from {@link
 * BatonClient#concurrencyLimiter}. Implementations are thread-safe.
 *
 * <p>Permits are leased on the Redis clock. A holder that runs longer than the lease must {@link
 * #renew} its permit (a heartbeat, e.g. every third of the lease); a holder that dies ({@code kill
 * -9}) or stops renewing loses its permit when the lease runs out, and the next {@link #acquire}
 * takes it back. Renewal and release are fenced by the permit's token: a permit that was released
 * or ran out cannot be renewed or released again, so it never frees another caller's slot.
 *
 * <pre>{@code
 * ConcurrencyLimiter.Permit p = limiter.acquire("tenant-42");
 * if (!p.granted()) { throw new RetryLater(p.retryAfter()); }
 * try { callTheService(); } finally { limiter.release(p); }
 * }</pre>
 *
 * <p>Every operation throws {@link RedisUnavailableException} when Redis cannot be reached or does
 * not answer within the command timeout; {@link #acquire} never waits for a permit by itself.
 */
public interface ConcurrencyLimiter {
  /**
   * The answer to {@link #acquire}: a leased permit, or a refusal. Immutable and thread-safe: it
   * may be renewed or released from another thread than the one that acquired it.
   *
   * @param limit the limit's name
   * @param key the key it was asked under
   * @param token the permit's fencing token
   * @param granted whether a permit is held
   * @param expiresAt when granted, when the lease runs out unless renewed (Redis time); when
   *     refused, the Redis time of the refusal
   * @param retryAfter {@link Duration#ZERO} when granted; otherwise the sooner of the earliest lease
   *     expiry and {@link ConcurrencyLimit#retryInterval()}
   * @param inUse permits in use after this decision, this one included when granted
   */
  record Permit(
      String limit, String key, String token, boolean granted, Instant expiresAt, Duration retryAfter, long inUse) {}

  /**
   * The limit's name, shared by every process that uses it.
   *
   * @return the name
   */
  String name();

  /**
   * The settings this handle was made with.
   *
   * @return the permits and lease
   */
  ConcurrencyLimit limit();

  /**
   * {@link #acquire(String)} under the key {@code "default"}.
   *
   * @return a permit, granted or refused
   */
  Permit acquire();

  /**
   * Takes a permit under {@code key} if one is free (reclaiming expired ones first), else refuses
   * with a retry-after. Each key has its own permits.
   *
   * @param key the key (a tenant, an API key's id)
   * @return a permit, granted or refused
   * @throws RedisUnavailableException when Redis cannot be reached
   */
  Permit acquire(String key);

  /**
   * Extends a held permit's lease to now + the lease, on the Redis clock.
   *
   * @param permit a granted permit of this limit
   * @return the permit with its new expiry
   * @throws PermitLostException when the permit was released or its lease had run out
   * @throws IllegalArgumentException when the permit was refused or belongs to another limit
   * @throws RedisUnavailableException when Redis cannot be reached
   */
  Permit renew(Permit permit);

  /**
   * Gives a permit back. Safe to call again, and after the lease ran out: it never frees another
   * holder's permit.
   *
   * @param permit a permit of this limit
   * @return true if this call released a held permit; false if it was released before or its lease
   *     had already run out (then the call it protected ran partly outside the limit)
   * @throws RedisUnavailableException when Redis cannot be reached; the permit then comes back when
   *     its lease runs out
   */
  boolean release(Permit permit);

  /**
   * Permits in use under {@code key}.
   *
   * @param key the key
   * @return its usage against the permits
   */
  LimitUsage usage(String key);

  /**
   * Permits in use under every key with a lease not yet run out (at most 1,000 keys).
   *
   * @return one entry per key
   */
  List<LimitUsage> usage();
}
