package dev.baton.resilience;

import dev.baton.BatonClient;
import dev.baton.RedisUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A fleet-wide sliding-window rate limit: every process holding a limiter of the same name (and
 * key prefix) shares one budget per key. Get one from {@link BatonClient#rateLimiter}. Implementations are thread-safe.
 *
 * <p>A call {@linkplain #reserve reserves} its estimated units before it starts; a refused
 * reservation says when to try again. After the call, {@linkplain #reconcile reconcile} the units
 * really used: the difference is refunded or charged in the window of the reservation. Time is the
 * Redis server's clock, never the caller's.
 *
 * <p>Bound: the units granted in any window of the interval never exceed the budget, except by
 * reconciliation charges (actual above the estimate) of calls that were in flight when the window
 * filled up; once over, further reservations wait. Estimates that are upper bounds (e.g. prompt
 * tokens + {@code max_tokens}) therefore keep every window within the budget. See
 * docs/resilience.md.
 *
 * <p>Every operation throws {@link RedisUnavailableException} when Redis cannot be reached or does
 * not answer within the command timeout; it never waits for room by itself.
 */
public interface RateLimiter {
  /**
   * A reservation: granted, or refused with the time after which it could fit. Immutable and
   * thread-safe: it may be reconciled from another thread than the one that reserved it.
   *
   * @param limit the limit's name
   * @param key the key it was made under
   * @param id unique id of this reservation; names its entry in the window
   * @param units the units reserved (the estimate)
   * @param granted whether the units were reserved
   * @param at Redis time of the decision; for a granted reservation, the instant its units count from
   * @param retryAfter {@link Duration#ZERO} when granted; otherwise how long until enough earlier
   *     units leave the window for this reservation to fit (assuming no refunds or charges meanwhile)
   * @param windowUnits units in the window after this decision (including these units when granted)
   */
  record Reservation(
      String limit, String key, String id, long units, boolean granted, Instant at, Duration retryAfter,
      long windowUnits) {}

  /**
   * The outcome of {@link #reconcile}. Immutable and thread-safe.
   *
   * @param applied false if the reservation had already left the window (its units no longer
   *     count against anyone) or was reconciled before; nothing was changed then
   * @param difference units charged (positive) or refunded (negative); 0 when not applied
   * @param at Redis time of the reconciliation
   */
  record Reconciliation(boolean applied, long difference, Instant at) {}

  /**
   * The limit's name, shared by every process that uses it.
   *
   * @return the name
   */
  String name();

  /**
   * The settings this handle was made with.
   *
   * @return the budget and interval
   */
  RateLimit limit();

  /**
   * {@link #reserve(String, long)} under the key {@code "default"}.
   *
   * @param units the units to reserve, 1 or more
   * @return the reservation, granted or refused
   */
  Reservation reserve(long units);

  /**
   * Reserves {@code units} under {@code key} if they fit in the current window, else refuses with a
   * retry-after. Each key has its own budget.
   *
   * @param key the key (a tenant, an API key's id)
   * @param units the units to reserve, 1 or more
   * @return the reservation, granted or refused
   * @throws IllegalArgumentException when {@code units} is below 1 or the key is invalid
   * @throws EstimateTooLargeException when {@code units} exceeds the whole budget
   * @throws RedisUnavailableException when Redis cannot be reached
   */
  Reservation reserve(String key, long units);

  /**
   * Replaces a granted reservation's estimate with the units really used ({@code 0} or more):
   * refunds the difference, or charges it to the reservation's window (which may push that window
   * over the budget by this difference; later reservations then wait). Safe to call again: a
   * reservation is reconciled at most once.
   *
   * @param reservation a granted reservation of this limit
   * @param actualUnits the units really used, 0 or more
   * @return whether it was applied, and the units charged or refunded
   * @throws IllegalArgumentException when the reservation was refused, belongs to another limit, or
   *     {@code actualUnits} is negative
   * @throws RedisUnavailableException when Redis cannot be reached
   */
  Reconciliation reconcile(Reservation reservation, long actualUnits);

  /**
   * Units in the current window of {@code key}.
   *
   * @param key the key
   * @return its usage against the budget
   */
  LimitUsage usage(String key);

  /**
   * Units in the current window of every key used within the last interval (at most 1,000 keys).
   *
   * @return one entry per key
   */
  List<LimitUsage> usage();
}
