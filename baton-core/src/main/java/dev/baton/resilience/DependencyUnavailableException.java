package dev.baton.resilience;

import dev.baton.BatonException;

/**
 * A dependency cannot serve the call: its circuit breaker is open (the call was not made), or the
 * handler found it down (throw this, e.g. on HTTP 503 or 529). The call counts as a failure against
 * the breaker (not when the breaker refused it), and the task is parked until the dependency is
 * back, without consuming an attempt.
 */
public class DependencyUnavailableException extends BatonException {
  private static final long serialVersionUID = 1L;

  private final String dependency;
  private final boolean refusedByBreaker;

  public DependencyUnavailableException(String dependency, String message) {
    this(dependency, message, null);
  }

  public DependencyUnavailableException(String dependency, String message, Throwable cause) {
    this(dependency, message, cause, false);
  }

  private DependencyUnavailableException(String dependency, String message, Throwable cause, boolean refused) {
    // a refusal by the breaker is routine while it is open: no stack trace to fill
    super(message, cause, true, !refused);
    this.dependency = dependency;
    this.refusedByBreaker = refused;
  }

  /** The breaker refused the call; the dependency was not called. */
  public static DependencyUnavailableException refused(String dependency, String message) {
    return new DependencyUnavailableException(dependency, message, null, true);
  }

  public String dependency() {
    return dependency;
  }

  /** True when the breaker refused the call (it was never made). */
  public boolean refusedByBreaker() {
    return refusedByBreaker;
  }
}
