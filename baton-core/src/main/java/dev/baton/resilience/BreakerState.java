package dev.baton.resilience;

import java.util.Locale;

/**
 * The states of a dependency's circuit breaker. The legal transitions are exactly
 * {@code CLOSED -> OPEN}, {@code OPEN -> HALF_OPEN}, {@code HALF_OPEN -> CLOSED} and {@code HALF_OPEN
 * -> OPEN}; the Redis scripts and the local breaker refuse any other. Immutable and thread-safe.
 */
public enum BreakerState {
  /** Calls flow; outcomes fill the sliding window. */
  CLOSED,
  /** Calls are refused until the wait in open has passed. */
  OPEN,
  /** A few probe calls (fleet-wide) decide between closing and opening again. */
  HALF_OPEN;

  /**
   * The name stored in Redis.
   *
   * @return the lower-case name, e.g. {@code "half_open"}
   */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Whether {@code this -> to} is a legal transition.
   *
   * @param to the next state
   * @return true for the four legal transitions
   */
  public boolean canTransitionTo(BreakerState to) {
    return switch (this) {
      case CLOSED -> to == OPEN;
      case OPEN -> to == HALF_OPEN;
      case HALF_OPEN -> to == CLOSED || to == OPEN;
    };
  }

  /**
   * Parses a stored name.
   *
   * @param wire a name as {@link #wireName()} returns it
   * @return the state
   * @throws IllegalArgumentException on anything else
   */
  public static BreakerState fromWire(String wire) {
    for (BreakerState s : values()) {
      if (s.wireName().equals(wire)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown breaker state '" + wire + "'");
  }
}
