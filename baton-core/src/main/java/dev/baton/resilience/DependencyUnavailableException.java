package dev.baton.resilience;

import dev.baton.BatonException;

/**
 * A dependency cannot serve the call: its circuit breaker is open (the call was not made), or the
 * handler found it down (throw this, e.g. on HTTP 503 or 529). The call counts as a failure against
 * the breaker (not when the breaker refused it), and the task is parked until the dependency is
 * back, without consuming an attempt. Immutable.
 */
public class DependencyUnavailableException extends BatonException {
  private static final long serialVersionUID = 1L;

  /** The dependency's name. */
  private final String dependency;
  /** Whether the breaker refused the call. */
  private final boolean refusedByBreaker;

  /**
   * The dependency is down (thrown by a handler).
   *
   * @param dependency the dependency's name
   * @param message what the handler saw, e.g. {@code "HTTP 529: overloaded"}
   */
  public DependencyUnavailableException(String dependency, String message) {
    this(dependency, message, null);
  }

  /**
   * The dependency is down (thrown by a handler), with the exception that showed it.
   *
   * @param dependency the dependency's name
   * @param message what the handler saw
   * @param cause the underlying exception, or null
   */
  public DependencyUnavailableException(String dependency, String message, Throwable cause) {
    this(dependency, message, cause, false);
  }

  private DependencyUnavailableException(String dependency, String message, Throwable cause, boolean refused) {
    // a refusal by the breaker is routine while it is open: no stack trace to fill
    super(message, cause, true, !refused);
    this.dependency = dependency;
    this.refusedByBreaker = refused;
  }

  /**
   * The breaker refused the call; the dependency was not called. Has no stack trace: refusals are
   * routine while a breaker is open.
   *
   * @param dependency the dependency's name
   * @param message why, e.g. the breaker's state and the wait left
   * @return the exception
   */
  public static DependencyUnavailableException refused(String dependency, String message) {
    return new DependencyUnavailableException(dependency, message, null, true);
  }

  /**
   * The dependency that could not serve the call.
   *
   * @return its name
   */
  public String dependency() {
    return dependency;
  }

  /**
   * Whether the breaker refused the call.
   *
   * @return true when the call was never made
   */
  public boolean refusedByBreaker() {
    return refusedByBreaker;
  }
}
