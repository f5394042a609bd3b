package dev.baton;

import java.time.Duration;

/**
 * Thrown by a handler (or set as the cause of what it throws) to say that the <em>worker</em> is
 * broken, not the task: a program it runs is missing, it is out of file descriptors or memory, a
 * local resource it needs is gone. Retrying the task elsewhere may well succeed, and charging it an
 * attempt would dead-letter a whole queue in seconds while the worker is misconfigured.
 *
 * <p>What the worker does with it:
 *
 * <ul>
 *   <li>The task is <b>released</b> (fenced, as at shutdown): back on the stream at once, the
 *       attempt not counted, no attempt record written, no retry delay. Another worker, or this one
 *       after its back-off, runs it.
 *   <li>The worker <b>stops fetching that agent type</b> for a back-off that starts at {@link
 *       #BACKOFF_BASE} and doubles with each fault in a row up to {@link #BACKOFF_CAP}; an outcome
 *       that is not a fault (success or an ordinary failure) resets it. Tasks already running go on.
 *   <li>It logs one ERROR line per back-off (with the fault's message and how many more faults
 *       came in while it was backing off), not one per task.
 * </ul>
 *
 * <p>Use it only for faults of the worker's environment. A task that always makes its worker throw
 * this is never charged an attempt, so it is never dead-lettered: it goes from worker to worker,
 * each backing off. {@link NonRetryableException} takes precedence when both are in the cause chain
 * and it comes first. Immutable; not final, so a handler may subclass it.
 */
public class WorkerFaultException extends BatonException {
  private static final long serialVersionUID = 1L;

  /** The first back-off of an agent type's fetching after a fault: 1 s. */
  public static final Duration BACKOFF_BASE = Duration.ofSeconds(1);
  /** The longest back-off, reached after six faults in a row: 30 s. */
  public static final Duration BACKOFF_CAP = Duration.ofSeconds(30);

  /**
   * A worker fault with a message.
   *
   * @param message what is wrong with the worker; logged, never stored in the task
   */
  public WorkerFaultException(String message) {
    super(message);
  }

  /**
   * A worker fault with a message and a cause.
   *
   * @param message what is wrong with the worker; logged, never stored in the task
   * @param cause the underlying exception, e.g. the {@link java.io.IOException} of a process start
   */
  public WorkerFaultException(String message, Throwable cause) {
    super(message, cause);
  }
}
