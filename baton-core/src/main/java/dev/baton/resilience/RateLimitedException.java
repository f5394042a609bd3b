package dev.baton.resilience;

import dev.baton.BatonException;
import java.time.Duration;
import java.util.Objects;

/**
 * The dependency (or a limit protecting it) asked the caller to come back later, e.g. HTTP 429 with
 * {@code Retry-After}. The task is parked for {@link #retryAfter()} without consuming an attempt;
 * the call does not count against the breaker. Immutable.
 */
public class RateLimitedException extends BatonException {
  private static final long serialVersionUID = 1L;

  /** The dependency's name. */
  private final String dependency;
  /** How long to wait before calling again. */
  private final Duration retryAfter;

  /**
   * The dependency, or a limit, asked to come back after {@code retryAfter}.
   *
   * @param dependency the dependency's name
   * @param retryAfter how long to wait, zero or more (e.g. from a {@code Retry-After} header)
   * @param message what refused the call
   * @throws IllegalArgumentException when {@code retryAfter} is negative
   */
  public RateLimitedException(String dependency, Duration retryAfter, String message) {
    super(message);
    this.dependency = dependency;
    this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must be >= 0, got " + retryAfter);
    }
  }

  /**
   * The dependency that refused the call.
   *
   * @return its name
   */
  public String dependency() {
    return dependency;
  }

  /**
   * How long the task is parked before it is tried again.
   *
   * @return the wait, zero or more
   */
  public Duration retryAfter() {
    return retryAfter;
  }
}
