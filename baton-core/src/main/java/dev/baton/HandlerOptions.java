package dev.baton;

import dev.baton.resilience.DependencyConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How a worker runs the handler of one agent type. Immutable and thread-safe; each {@code with}
 * method ({@link #concurrency(int)}, {@link #timeout(Duration)}, ...) returns a copy with one value
 * changed, starting from {@link #DEFAULT}.
 *
 * @param concurrency handlers of this type running at once in this worker (1..10,000; default 10)
 * @param timeout timeout for tasks that set none (1 ms..30 days; default 5 minutes)
 * @param retryPolicy backoff for tasks that set none (default {@link RetryPolicy#DEFAULT})
 * @param lease how long a running task stays this worker's without a heartbeat (default 15 s);
 *     heartbeats renew it three times per lease, and a task whose lease ran out (its worker died,
 *     hung or was cut off) is taken over by another worker
 * @param maxDeliveries deliveries that may end without an outcome (the worker crashed or hung)
 *     before the task is dead-lettered as a poison task (default 5)
 * @param dependencies names of the dependencies this agent type's handler calls (default none):
 *     while one's circuit breaker is open, the worker starts no task of this type (they wait in
 *     the stream, attempts untouched); each must be registered on the worker
 */
public record HandlerOptions(
    int concurrency,
    Duration timeout,
    RetryPolicy retryPolicy,
    Duration lease,
    int maxDeliveries,
    Set<String> dependencies) {
  /** 10 handlers at once per worker. */
  public static final int DEFAULT_CONCURRENCY = 10;
  /** 5 minutes per attempt. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
  /** 15 s: a task is taken over this long after its worker stops renewing it. */
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);
  /** 5 deliveries without an outcome make a poison task. */
  public static final int DEFAULT_MAX_DELIVERIES = 5;
  /** Every option at its default, no dependency. */
  public static final HandlerOptions DEFAULT = new HandlerOptions(
      DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, RetryPolicy.DEFAULT, DEFAULT_LEASE, DEFAULT_MAX_DELIVERIES, Set.of());

  /**
   * Validates the options (the lease: 300 ms..1 h; max deliveries: 1..1,000).
   *
   * @throws IllegalArgumentException when a value is out of range, quoting it
   */
  public HandlerOptions {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(retryPolicy, "retryPolicy");
    Objects.requireNonNull(lease, "lease");
    dependencies = Set.copyOf(Objects.requireNonNull(dependencies, "dependencies"));
    for (String d : dependencies) {
      if (!DependencyConfig.NAME.matcher(d).matches()) {
        throw new IllegalArgumentException("dependency name must match " + DependencyConfig.NAME.pattern()
            + ", got '" + d + "'");
      }
    }
    if (concurrency < 1 || concurrency > 10_000) {
      throw new IllegalArgumentException("concurrency must be in [1, 10000], got " + concurrency);
    }
    if (timeout.toMillis() < 1 || timeout.compareTo(TaskRequest.MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException("timeout must be in [1ms, 30d], got " + timeout);
    }
    if (lease.toMillis() < 300 || lease.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("lease must be in [300ms, 1h], got " + lease);
    }
    if (maxDeliveries < 1 || maxDeliveries > 1000) {
      throw new IllegalArgumentException("maxDeliveries must be in [1, 1000], got " + maxDeliveries);
    }
  }

  /**
   * The defaults with another concurrency.
   *
   * @param concurrency handlers running at once, 1..10,000
   * @return the options
   * @throws IllegalArgumentException when out of range
   */
  public static HandlerOptions withConcurrency(int concurrency) {
    return DEFAULT.concurrency(concurrency);
  }

  /**
   * A copy with another concurrency (default 10).
   *
   * @param value handlers running at once, 1..10,000
   * @return the new options
   * @throws IllegalArgumentException when out of range
   */
  public HandlerOptions concurrency(int value) {
    return new HandlerOptions(value, timeout, retryPolicy, lease, maxDeliveries, dependencies);
  }

  /**
   * A copy with another default timeout (default 5 minutes).
   *
   * @param value 1 ms..30 days
   * @return the new options
   * @throws IllegalArgumentException when out of range
   */
  public HandlerOptions timeout(Duration value) {
    return new HandlerOptions(concurrency, value, retryPolicy, lease, maxDeliveries, dependencies);
  }

  /**
   * A copy with another default retry policy (default {@link RetryPolicy#DEFAULT}).
   *
   * @param value the policy
   * @return the new options
   */
  public HandlerOptions retryPolicy(RetryPolicy value) {
    return new HandlerOptions(concurrency, timeout, value, lease, maxDeliveries, dependencies);
  }

  /**
   * A copy with another lease (default 15 s).
   *
   * @param value 300 ms..1 h
   * @return the new options
   * @throws IllegalArgumentException when out of range
   */
  public HandlerOptions lease(Duration value) {
    return new HandlerOptions(concurrency, timeout, retryPolicy, value, maxDeliveries, dependencies);
  }

  /**
   * A copy with another poison limit (default 5).
   *
   * @param value deliveries without an outcome before the task is dead-lettered, 1..1,000
   * @return the new options
   * @throws IllegalArgumentException when out of range
   */
  public HandlerOptions maxDeliveries(int value) {
    return new HandlerOptions(concurrency, timeout, retryPolicy, lease, value, dependencies);
  }

  /**
   * A copy with the dependencies this handler calls (replaces any set before; default none).
   *
   * @param names dependency names, each registered on the worker
   * @return the new options
   * @throws IllegalArgumentException when a name is invalid
   */
  public HandlerOptions dependencies(String... names) {
    return new HandlerOptions(concurrency, timeout, retryPolicy, lease, maxDeliveries, Set.of(names));
  }

  /**
   * How often running tasks' leases are renewed.
   *
   * @return a third of the lease
   */
  public Duration heartbeatInterval() {
    return lease.dividedBy(3);
  }
}
