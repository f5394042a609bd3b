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
    long parked) {}
