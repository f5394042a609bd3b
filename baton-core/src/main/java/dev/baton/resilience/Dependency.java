package dev.baton.resilience;

import dev.baton.NonRetryableException;
import dev.baton.TaskContext;


/**
 * A handle on one dependency for the current attempt, from {@link TaskContext#dependency(String)}.
 * Thread-safe: the handler and threads it starts may make calls through it at once. Baton
 * implements this interface.
 */
public interface Dependency {
  /**
   * Work done against the dependency. Runs on the thread that passed it to {@link
   * Dependency#call(Call)}, once per call.
   *
   * @param <T> the call's result type
   */
  @FunctionalInterface
  interface Call<T> {
    /**
     * Calls the dependency once.
     *
     * @return the call's result
     * @throws Exception any failure; see {@link Dependency#call(Call)} for how each counts
     */
    T call() throws Exception;
  }

  /**
   * Work done against a dependency with a unit budget: it reports what it really used. Runs on the
   * thread that passed it to {@link Dependency#call(long, MeteredCall)}, once per call.
   *
   * @param <T> the call's result type
   */
  @FunctionalInterface
  interface MeteredCall<T> {
    /**
     * Calls the dependency once and reports the units it used to {@code meter}.
     *
     * @param meter where to report the units really used
     * @return the call's result
     * @throws Exception any failure; see {@link Dependency#call(Call)} for how each counts
     */
    T call(Meter meter) throws Exception;
  }

  /**
   * Where a metered call reports the units it really used (e.g. the tokens an LLM API billed).
   * Thread-safe; valid until the call returns.
   */
  interface Meter {
    /**
     * The units the call used; the reservation is reconciled to this (refund or charge) when the
     * call returns. Reporting again replaces the value; without a report the estimate stands.
     *
     * @param units 0 or more
     * @throws IllegalArgumentException when {@code units} is negative
     */
    void used(long units);
  }

  /**
   * The dependency's name, as registered on the worker.
   *
   * @return the name
   */
  String name();

  /**
   * The same dependency with its limits counted under {@code key} (a tenant, an API key): each key
   * has its own budgets and permits. The breaker stays shared.
   *
   * @param key the key, e.g. a tenant id or a hash of an API key (never the secret itself)
   * @return a handle counting its limits under {@code key}
   * @throws IllegalArgumentException when the key is invalid
   */
  Dependency forKey(String key);

  /**
   * As {@link #call(Call)}, reserving {@code estimatedUnits} of the unit limit first (when the
   * dependency has one) and reconciling the reservation to what the call reports through its
   * {@link Meter} (the estimate stands if it reports nothing). Give an upper bound (for an LLM:
   * prompt tokens + max tokens) and the budget is never exceeded.
   *
   * @param <T> the call's result type
   * @param estimatedUnits the units to reserve, 1 or more
   * @param call the work, which reports the units it used
   * @return the call's result
   * @throws Exception what the call threw, as for {@link #call(Call)}
   * @throws RateLimitedException when a limit refuses the call: it is not made, and the task is
   *     parked for the retry-after without consuming an attempt
   * @throws NonRetryableException when the estimate is larger than the whole unit budget
   */
  <T> T call(long estimatedUnits, MeteredCall<T> call) throws Exception;

  /**
   * Asks the breaker for permission, then the dependency's limits (one request, one concurrency
   * permit, leased and renewed while the call runs), runs {@code call}, times it and records the
   * outcome.
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
   * worker, fed by the same outcomes, decides instead; the limits are skipped (logged) while Redis
   * cannot be reached, since their state lives there. This method never throws because Redis is
   * unreachable.
   *
   * @param <T> the call's result type
   * @param call the work
   * @return the call's result
   * @throws Exception what the call threw (an {@code IOException} wrapped, see above)
   * @throws DependencyUnavailableException when the breaker refuses the call (open, or half-open
   *     with every probe taken) or the call found the dependency down
   * @throws RateLimitedException when a limit refuses the call (the task is parked)
   */
  <T> T call(Call<T> call) throws Exception;

  /**
   * The breaker's state as this worker last saw it (Redis, or the local breaker without Redis).
   *
   * @return the state
   */
  BreakerState state();
}
