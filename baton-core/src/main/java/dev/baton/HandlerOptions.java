package dev.baton;

import java.time.Duration;
import java.util.Objects;

/**
 * How a worker runs the handler of one agent type.
 *
 * @param concurrency handlers of this type running at once in this worker (1..10,000)
 * @param timeout timeout for tasks that set none (default 5 minutes)
 * @param retryPolicy backoff for tasks that set none
 */
public record HandlerOptions(int concurrency, Duration timeout, RetryPolicy retryPolicy) {
  public static final int DEFAULT_CONCURRENCY = 10;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
  public static final HandlerOptions DEFAULT =
      new HandlerOptions(DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, RetryPolicy.DEFAULT);

  public HandlerOptions {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(retryPolicy, "retryPolicy");
    if (concurrency < 1 || concurrency > 10_000) {
      throw new IllegalArgumentException("concurrency must be in [1, 10000], got " + concurrency);
    }
    if (timeout.toMillis() < 1 || timeout.compareTo(TaskRequest.MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException("timeout must be in [1ms, 30d], got " + timeout);
    }
  }

  public static HandlerOptions withConcurrency(int concurrency) {
    return new HandlerOptions(concurrency, DEFAULT_TIMEOUT, RetryPolicy.DEFAULT);
  }

  public HandlerOptions concurrency(int value) {
    return new HandlerOptions(value, timeout, retryPolicy);
  }

  public HandlerOptions timeout(Duration value) {
    return new HandlerOptions(concurrency, value, retryPolicy);
  }

  public HandlerOptions retryPolicy(RetryPolicy value) {
    return new HandlerOptions(concurrency, timeout, value);
  }
}
