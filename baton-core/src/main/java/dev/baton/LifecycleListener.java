package dev.baton;

import dev.baton.resilience.BreakerTransition;
import dev.baton.resilience.LimitRefusal;

/**
 * Hears what happens to tasks, breakers and limits in this process: the seam that metrics, tracing
 * and logging plug into. Register listeners with {@link BatonConfig.Builder#listener}; a client and
 * every worker built on it report to them. With none registered, nothing is built or called.
 *
 * <p>Each call comes after the step was written to Redis (an event is never reported for a write
 * that was refused, e.g. by the fence of a worker that no longer holds the task), on the Baton
 * thread that made the step: a handler's virtual thread, the completer, a background loop or the
 * caller of the dispatcher. Listeners must be thread-safe, fast and non-blocking; an exception
 * thrown by a listener is logged and swallowed, never failing the step. Steps of one task made on
 * different threads may arrive out of order: a worker can start (even finish) a task before the
 * dispatcher that enqueued it has read the enqueue's reply and reported it; each event carries the
 * time its step was made.
 *
 * <p>Events are local: each process reports what it did. For the fleet-wide view read Redis
 * through {@link Inspector}.
 */
public interface LifecycleListener {
  /**
   * A task changed state; see {@link TaskEvent.Kind} for which fields each kind carries.
   *
   * @param event what happened
   */
  default void onTaskEvent(TaskEvent event) {}

  /**
   * A dependency's circuit breaker changed state, and this process made the transition.
   *
   * @param transition the transition, as recorded in Redis
   */
  default void onBreakerTransition(BreakerTransition transition) {}

  /**
   * A limit refused a call of a handler in this process; its task is parked for the retry-after.
   *
   * @param refusal which limit refused, and for how long
   */
  default void onLimitRefused(LimitRefusal refusal) {}
}
