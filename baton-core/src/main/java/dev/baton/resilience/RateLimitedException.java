package dev.baton.resilience;

import dev.baton.BatonException;
import java.time.Duration;
import java.util.Objects;

/**
 * The dependency (or a limit protecting it) asked the caller to come back later, e.g. HTTP 429 with
 * {@code Retry-After}. The task is parked for {@link #retryAfter()} without consuming an attempt;
 * the call does not count against the breaker.
 */
public class RateLimitedException extends BatonException {
  private static final long serialVersionUID = 1L;

  private final String dependency;
  private final Duration retryAfter;

  public RateLimitedException(String dependency, Duration retryAfter, String message) {
    super(message);
    this.dependency = dependency;
    this.retryAfter = Objects.requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must be >= 0, got " + retryAfter);
    }
  }

  public String dependency() {
    return dependency;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
