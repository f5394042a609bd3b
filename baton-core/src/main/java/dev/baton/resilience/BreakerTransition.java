package dev.baton.resilience;

import dev.baton.Inspector;
import java.time.Instant;

/**
 * One transition of a dependency's circuit breaker, from {@link Inspector#breakerTransitions}.
 * Immutable and thread-safe.
 *
 * @param dependency the dependency
 * @param from state before
 * @param to state after
 * @param generation the breaker's generation after the transition
 * @param at when it happened (Redis server clock)
 * @param reason why, e.g. {@code failure rate 60.0% >= 50% over 20 calls}
 */
public record BreakerTransition(
    String dependency, BreakerState from, BreakerState to, long generation, Instant at, String reason) {}
