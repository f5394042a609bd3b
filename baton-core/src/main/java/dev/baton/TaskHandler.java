package dev.baton;

import dev.baton.resilience.DependencyUnavailableException;
import dev.baton.resilience.RateLimitedException;

/**
 * Runs one task of an agent type. Called on a virtual thread; may block.
 *
 * <p>Return the result: an object the {@link JsonCodec} encodes, a {@link RawJson}, or {@code null}
 * (stored as JSON {@code null}). Throw to fail the attempt: it is retried with backoff while attempts
 * remain, unless the exception is (or is caused by) a {@link NonRetryableException}, which
 * dead-letters the task at once. A {@link DependencyUnavailableException} or {@link
 * RateLimitedException} (anywhere in the cause chain, before any {@code NonRetryableException})
 * parks the task instead, without consuming an attempt, until its dependency is back. The handler
 * is interrupted when the task's deadline passes or the
 * worker shuts down; it should let {@link InterruptedException} propagate.
 *
 * <p>Thread-safety: one handler instance runs many tasks at once, up to the agent type's
 * concurrency ({@link HandlerOptions#concurrency()}), each on its own virtual thread; it must be
 * safe to call concurrently.
 */
@FunctionalInterface
public interface TaskHandler {
  /**
   * Runs one attempt of a task.
   *
   * @param context the task and this attempt
   * @return the result: an object the client's codec encodes, a {@link RawJson}, or null
   * @throws Exception to fail the attempt (see above for which exceptions retry, dead-letter or park)
   */
  Object handle(TaskContext context) throws Exception;
}
