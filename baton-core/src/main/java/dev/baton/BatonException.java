package dev.baton;

/**
 * Base of every exception Baton defines: those Baton throws ({@link RedisUnavailableException},
 * {@link RedisConfigurationException}, {@link TaskNotFoundException}, {@link InvalidTaskException},
 * ...) and those a handler throws to tell Baton what to do with its task ({@link
 * NonRetryableException}, {@link WorkerFaultException}, {@link
 * dev.baton.resilience.DependencyUnavailableException}, {@link
 * dev.baton.resilience.RateLimitedException}). Unchecked, so handlers may throw any of them.
 *
 * <p>Not under it, on purpose: {@link IllegalArgumentException} for an invalid argument to a
 * method or builder (a programming error, documented with each method), {@link
 * IllegalStateException} for a call in the wrong state (a worker started twice, a builder without
 * handler), {@link NullPointerException} for a null argument; and, where a method declares them as
 * the JDK's own waiting methods do, {@link InterruptedException} and {@link
 * java.util.concurrent.TimeoutException} ({@link Dispatcher#awaitResult}), and {@link
 * java.util.concurrent.CancellationException} ({@link TaskContext#throwIfCancelled()}). A plain
 * {@code BatonException} (no subclass) reports a Redis command that failed for another reason, or
 * a record Baton cannot read.
 *
 * <p>Instances are immutable and may be shared between threads.
 */
public class BatonException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * An exception with a message and no cause.
   *
   * @param message what failed
   */
  public BatonException(String message) {
    super(message);
  }

  /**
   * An exception with a message and a cause.
   *
   * @param message what failed
   * @param cause the underlying exception, or null
   */
  public BatonException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * An exception with control over suppression and the stack trace, for subclasses thrown routinely (e.g. a breaker's refusal) that skip the stack trace.
   *
   * @param message what failed
   * @param cause the underlying exception, or null
   * @param enableSuppression whether suppressed exceptions are recorded
   * @param writableStackTrace whether the stack trace is filled in
   */
  protected BatonException(String message, Throwable cause, boolean enableSuppression, boolean writableStackTrace) {
    super(message, cause, enableSuppression, writableStackTrace);
  }
}
