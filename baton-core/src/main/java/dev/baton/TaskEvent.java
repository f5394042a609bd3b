package dev.baton;

import java.time.Duration;
import java.time.Instant;

/**
 * One lifecycle step of a task, reported to {@link LifecycleListener#onTaskEvent}. Immutable.
 *
 * @param kind what happened
 * @param queue the task's agent type
 * @param taskId the task's id
 * @param attempt the attempt the step belongs to (1 for the first run); 0 where no attempt is
 *     involved ({@link Kind#ENQUEUED}, {@link Kind#CANCELLED}, a parked task {@linkplain
 *     Kind#RELEASED released})
 * @param worker the consumer name of the worker that made the step, or null for the dispatcher
 * @param at when this process made the step (the client's clock, {@link BatonConfig})
 * @param runTime for {@link Kind#SUCCEEDED}, {@link Kind#RETRYING}, {@link Kind#DEAD} and {@link
 *     Kind#PARKED} after a run: from the handler's start to its outcome; otherwise null
 * @param detail why, for {@link Kind#RETRYING} (the error), {@link Kind#DEAD} (the dead-letter
 *     reason), {@link Kind#PARKED} (the dependency and the cause), {@link Kind#RELEASED} and {@link
 *     Kind#RECOVERED} (which path); otherwise null
 */
public record TaskEvent(
    Kind kind, String queue, String taskId, int attempt, String worker, Instant at, Duration runTime, String detail) {

  /** The lifecycle steps a listener hears. */
  public enum Kind {
    /** The dispatcher created the task (a duplicate enqueue of an existing id reports nothing). */
    ENQUEUED,
    /** A worker started an attempt: the task's handler is about to run. */
    STARTED,
    /** The attempt's result was written: the task is finished. */
    SUCCEEDED,
    /** The attempt failed and the task waits for its next attempt, after the backoff. */
    RETRYING,
    /** The task was dead-lettered: non-retryable, out of attempts, malformed or poison. */
    DEAD,
    /** The task waits for a dependency (breaker open, unavailable or rate-limited), keeping its attempts. */
    PARKED,
    /** The task went back to its queue without using an attempt: released from parking, or given back by a stopping worker. */
    RELEASED,
    /** A recoverer took the task over from a worker whose lease ran out. */
    RECOVERED,
    /** The task was cancelled before it started. */
    CANCELLED
  }
}
