package dev.baton;

import dev.baton.resilience.Dependency;
import java.time.Instant;
import java.util.Map;

/** What a handler knows about the task it runs. Valid for the duration of one attempt. */
public interface TaskContext {
  String taskId();

  String agentType();

  /** 1 on the first attempt. */
  int attempt();

  int maxAttempts();

  /** The payload as JSON text. */
  String payloadJson();

  /**
   * The payload decoded by the client's {@link JsonCodec}. Ask for the codec's tree type (with the
   * default codec, Jackson's {@code JsonNode}) to get a JSON tree.
   *
   * @throws NonRetryableException when the payload does not fit {@code type}: retrying cannot help
   */
  <T> T payload(Class<T> type);

  /** Headers set at enqueue, e.g. {@code traceparent}. Immutable. */
  Map<String, String> headers();

  /** When this attempt is interrupted and counted as failed. */
  Instant deadline();

  /**
   * True once the attempt was cancelled: deadline passed, worker stopping, or lease lost (another
   * worker took the task over; nothing this attempt returns is recorded).
   */
  boolean isCancelled();

  /** Throws {@link java.util.concurrent.CancellationException} if {@link #isCancelled()}. */
  void throwIfCancelled();

  /**
   * A handle on a dependency registered on the worker, whose {@link Dependency#call} goes through
   * the dependency's circuit breaker.
   *
   * @throws IllegalArgumentException when the worker has no such dependency
   */
  Dependency dependency(String name);
}
