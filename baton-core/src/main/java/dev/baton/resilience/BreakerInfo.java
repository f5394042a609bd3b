package dev.baton.resilience;

import dev.baton.Inspector;
import java.time.Duration;
import java.time.Instant;

/**
 * A snapshot of one dependency's circuit breaker, from {@link Inspector#breakers()}: stale as soon
 * as it is read. Immutable and thread-safe.
 *
 * @param dependency the dependency's name
 * @param state its state
 * @param generation transitions so far (outcomes of calls allowed under an older one are ignored)
 * @param since when it entered this state (Redis server clock); the epoch if it never left closed
 * @param openRemaining time left in open, zero otherwise (or when the wait has passed)
 * @param callsInWindow calls in the sliding window (closed only; the window restarts at each
 *     transition)
 * @param failureRate percent of failed calls in the window, 0 when empty
 * @param slowCallRate percent of slow calls in the window, 0 when empty
 * @param probesInFlight probes running now (half-open)
 * @param probeSuccesses probes that succeeded in this half-open round
 * @param parked tasks parked on this dependency, across agent types
 * @param malformed null when the breaker could be read; otherwise which field could not (an unknown
 *     state, a count that is not an integer: written outside Baton), and the figures that could not be
 *     read are 0. The next call through the dependency resets such a breaker to a fresh closed one.
 */
public record BreakerInfo(
    String dependency,
    BreakerState state,
    long generation,
    Instant since,
    Duration openRemaining,
    long callsInWindow,
    double failureRate,
    double slowCallRate,
    long probesInFlight,
    long probeSuccesses,
    long parked,
    String malformed) {

  /**
   * A breaker that could be read ({@link #malformed()} null).
   *
   * @param dependency the dependency's name
   * @param state its state
   * @param generation transitions so far
   * @param since when it entered this state
   * @param openRemaining time left in open
   * @param callsInWindow calls in the sliding window
   * @param failureRate percent of failed calls in the window
   * @param slowCallRate percent of slow calls in the window
   * @param probesInFlight probes running now
   * @param probeSuccesses probes that succeeded in this half-open round
   * @param parked tasks parked on this dependency
   */
  public BreakerInfo(String dependency, BreakerState state, long generation, Instant since, Duration openRemaining,
      long callsInWindow, double failureRate, double slowCallRate, long probesInFlight, long probeSuccesses,
      long parked) {
    this(dependency, state, generation, since, openRemaining, callsInWindow, failureRate, slowCallRate,
        probesInFlight, probeSuccesses, parked, null);
  }

  /**
   * Whether the breaker could be read.
   *
   * @return true when {@link #malformed()} is non-null
   */
  public boolean isMalformed() {
    return malformed != null;
  }
}
