package dev.baton;

import dev.baton.resilience.DependencyConfig;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * How a worker runs the handler of one agent type.
 *
 * @param concurrency handlers of this type running at once in this worker (1..10,000)
 * @param timeout timeout for tasks that set none (default 5 minutes)
 * @param retryPolicy backoff for tasks that set none
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
  public static final int DEFAULT_CONCURRENCY = 10;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
  public static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);
  public static final int DEFAULT_MAX_DELIVERIES = 5;
  public static final HandlerOptions DEFAULT = new HandlerOptions(
      DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, RetryPolicy.DEFAULT, DEFAULT_LEASE, DEFAULT_MAX_DELIVERIES, Set.of());

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

  public static HandlerOptions withConcurrency(int concurrency) {
    return DEFAULT.concurrency(concurrency);
  }

  public HandlerOptions concurrency(int value) {
    return new HandlerOptions(value, timeout, retryPolicy, lease, maxDeliveries, dependencies);
  }

  public HandlerOptions timeout(Duration value) {
    return new HandlerOptions(concurrency, value, retryPolicy, lease, maxDeliveries, dependencies);
  }

  public HandlerOptions retryPolicy(RetryPolicy value) {
    return new HandlerOptions(concurrency, timeout, value, lease, maxDeliveries, dependencies);
  }

  public HandlerOptions lease(Duration value) {
    return new HandlerOptions(concurrency, timeout, retryPolicy, value, maxDeliveries, dependencies);
  }

  public HandlerOptions maxDeliveries(int value) {
    return new HandlerOptions(concurrency, timeout, retryPolicy, lease, value, dependencies);
  }

  /** The dependencies this handler calls (replaces any set before). */
  public HandlerOptions dependencies(String... names) {
    return new HandlerOptions(concurrency, timeout, retryPolicy, lease, maxDeliveries, Set.of(names));
  }

  /** How often running tasks' leases are renewed: a third of the lease. */
  public Duration heartbeatInterval() {
    return lease.dividedBy(3);
  }
}
