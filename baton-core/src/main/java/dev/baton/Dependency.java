package dev.baton;

/**
 * A handle on one dependency for the current attempt, from {@link TaskContext#dependency(String)}.
 * Thread-safe.
 */
public interface Dependency {
  /** Work done against the dependency. */
  @FunctionalInterface
  interface Call<T> {
    T call() throws Exception;
  }

  String name();

  /**
   * Asks the breaker for permission, runs {@code call}, times it and records the outcome.
   *
   * <ul>
   *   <li>Returns: a success (or a slow call, when it took at least the slow-call duration).
   *   <li>{@link DependencyUnavailableException}, or an {@link java.io.IOException} (rethrown
   *       wrapped in a {@code DependencyUnavailableException}): a failure; the task is parked.
   *   <li>{@link RateLimitedException}: not counted; the task is parked for its retry-after.
   *   <li>Anything else: not counted against the breaker (a fault of the task, not of the
   *       dependency); rethrown as is, a task error.
   * </ul>
   *
   * <p>The breaker's state lives in Redis; when Redis cannot be reached, a breaker local to this
   * worker, fed by the same outcomes, decides instead. This method never throws because Redis is
   * unreachable.
   *
   * @throws DependencyUnavailableException when the breaker refuses the call (open, or half-open
   *     with every probe taken) or the call found the dependency down
   */
  <T> T call(Call<T> call) throws Exception;

  /** The breaker's state as this worker last saw it (Redis, or the local breaker without Redis). */
  BreakerState state();
}
