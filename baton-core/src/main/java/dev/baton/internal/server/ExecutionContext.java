package dev.baton.internal.server;

import dev.baton.resilience.Dependency;
import dev.baton.JsonCodec;
import dev.baton.internal.breaker.Breakers;
import dev.baton.NonRetryableException;
import dev.baton.TaskContext;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CancellationException;

/** The {@link TaskContext} of one attempt. */
final class ExecutionContext implements TaskContext {
  private final String taskId;
  private final String agentType;
  private final int attempt;
  private final int maxAttempts;
  private final String payloadJson;
  private final Map<String, String> headers;
  private final Instant deadline;
  private final JsonCodec codec;
  private final Breakers breakers;
  private volatile String cancelReason;

  ExecutionContext(
      String taskId,
      String agentType,
      int attempt,
      int maxAttempts,
      String payloadJson,
      Map<String, String> headers,
      Instant deadline,
      JsonCodec codec,
      Breakers breakers) {
    this.taskId = taskId;
    this.agentType = agentType;
    this.attempt = attempt;
    this.maxAttempts = maxAttempts;
    this.payloadJson = payloadJson;
    this.headers = headers;
    this.deadline = deadline;
    this.codec = codec;
    this.breakers = breakers;
  }

  @Override
  public String taskId() {
    return taskId;
  }

  @Override
  public String agentType() {
    return agentType;
  }

  @Override
  public int attempt() {
    return attempt;
  }

  @Override
  public int maxAttempts() {
    return maxAttempts;
  }

  @Override
  public String payloadJson() {
    return payloadJson;
  }

  @Override
  public <T> T payload(Class<T> type) {
    try {
      return codec.decode(payloadJson, type);
    } catch (IllegalArgumentException e) {
      throw new NonRetryableException("payload does not fit " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Map<String, String> headers() {
    return headers;
  }

  @Override
  public Instant deadline() {
    return deadline;
  }

  @Override
  public boolean isCancelled() {
    return cancelReason != null;
  }

  @Override
  public void throwIfCancelled() {
    String reason = cancelReason;
    if (reason != null) {
      throw new CancellationException(reason);
    }
  }

  @Override
  public Dependency dependency(String name) {
    return breakers.handle(name).orElseThrow(() -> new IllegalArgumentException(
        "dependency '" + name + "' is not registered on this worker (Worker.Builder.dependency)"));
  }

  void cancel(String reason) {
    cancelReason = reason;
  }
}
