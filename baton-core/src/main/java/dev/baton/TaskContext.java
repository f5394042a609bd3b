package dev.baton;

import dev.baton.resilience.Dependency;
import java.time.Instant;
import java.util.Map;

/**
 * What a handler knows about the task it runs. One context per attempt, valid for the duration of
 * that attempt.
 *
 * <p>Thread-safe: its values are fixed when the attempt starts, and {@link #isCancelled()} reads
 * state the worker sets from its own threads, so a handler may hand the context to threads it
 * starts. Baton implements this interface; applications do not (except in their own tests).
 */
public interface TaskContext {
  /**
   * The task's id, also its idempotency key: pass it to external systems that deduplicate.
   *
   * @return the task id
   */
  String taskId();

  /**
   * The agent type (queue) the task came from.
   *
   * @return the agent type
   */
  String agentType();

  /**
   * This attempt's number within the current attempt budget (a dead-letter replay starts again at 1).
   *
   * @return 1 on the first attempt
   */
  int attempt();

  /**
   * The task's attempt budget.
   *
   * @return the most attempts the task gets
   */
  int maxAttempts();

  /**
   * The payload as JSON text, as enqueued.
   *
   * @return the payload
   */
  String payloadJson();

  /**
   * The payload decoded by the client's {@link JsonCodec}. Ask for the codec's tree type (with the
   * default codec, Jackson's {@code JsonNode}) to get a JSON tree.
   *
   * @param <T> the payload's type
   * @param type the class to decode into
   * @return the decoded payload
   * @throws NonRetryableException when the payload does not fit {@code type}: retrying cannot help
   */
  <T> T payload(Class<T> type);

  /**
   * Headers set at enqueue, e.g. {@code traceparent}.
   *
   * @return the headers, immutable, empty when none were set
   */
  Map<String, String> headers();

  /**
   * When this attempt is interrupted and counted as failed (the attempt's start plus its timeout).
   *
   * @return the deadline, on the worker's clock
   */
  Instant deadline();

  /**
   * True once the attempt was cancelled: deadline passed, worker stopping, or lease lost (another
   * worker took the task over; nothing this attempt returns is recorded).
   *
   * @return whether the attempt was cancelled
   */
  boolean isCancelled();

  /** Throws {@link java.util.concurrent.CancellationException} if {@link #isCancelled()}. */
  void throwIfCancelled();

  /**
   * A handle on a dependency registered on the worker, whose {@link Dependency#call} goes through
   * the dependency's circuit breaker.
   *
   * @param name the dependency's name, as registered with {@link Worker.Builder#dependency}
   * @return a handle on the dependency, for this attempt
   * @throws IllegalArgumentException when the worker has no such dependency
   */
  Dependency dependency(String name);
}
