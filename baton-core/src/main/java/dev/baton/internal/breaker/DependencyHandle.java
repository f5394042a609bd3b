package dev.baton.internal.breaker;

import dev.baton.resilience.BreakerState;
import dev.baton.resilience.Dependency;
import dev.baton.resilience.DependencyUnavailableException;
import dev.baton.resilience.RateLimitedException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link Dependency} over one worker's {@link DistributedBreaker} and the dependency's limits: the
 * breaker is asked first (an open breaker costs no budget), then the limits; a call a limit refuses
 * gives its breaker permission back uncounted (a probe slot is not held by a call never made).
 */
public final class DependencyHandle implements Dependency {
  private static final String DEFAULT_KEY = "default";

  private final DistributedBreaker breaker;
  private final DependencyLimits limits;
  private final String key;

  /** A handle without limits. */
  public DependencyHandle(DistributedBreaker breaker) {
    this(breaker, null, null);
  }

  /** {@code limits} may be null (none); {@code key} null means the default key. */
  public DependencyHandle(DistributedBreaker breaker, DependencyLimits limits, String key) {
    this.breaker = breaker;
    this.limits = limits == null || limits.isEmpty() ? null : limits;
    this.key = key == null ? DEFAULT_KEY : key;
  }

  @Override
  public String name() {
    return breaker.name();
  }

  @Override
  public Dependency forKey(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("key must not be empty");
    }
    return new DependencyHandle(breaker, limits, key);
  }

  @Override
  public <T> T call(Call<T> call) throws Exception {
    return run(0, meter -> call.call());
  }

  @Override
  public <T> T call(long estimatedUnits, MeteredCall<T> call) throws Exception {
    if (estimatedUnits < 1) {
      throw new IllegalArgumentException("estimated units must be at least 1, got " + estimatedUnits);
    }
    return run(estimatedUnits, call);
  }

  private <T> T run(long estimatedUnits, MeteredCall<T> call) throws Exception {
    DistributedBreaker.Permit permit = breaker.acquire();
    if (!permit.allowed()) {
      throw DependencyUnavailableException.refused(name(), "circuit breaker of '" + name() + "' is open"
          + (permit.retryAfterMillis() > 0 ? " (retry in " + permit.retryAfterMillis() + "ms)" : " (probing)"));
    }
    DependencyLimits.Held held;
    try {
      held = limits == null ? null : limits.admit(key, estimatedUnits);
    } catch (RuntimeException e) {
      recordQuietly(permit, false, false, false); // not made: says nothing about the dependency
      throw e;
    }
    AtomicLong used = new AtomicLong(-1);
    Meter meter = units -> {
      if (units < 0) {
        throw new IllegalArgumentException("used units must be >= 0, got " + units);
      }
      used.set(units);
    };
    long start = breaker.time().nanoTime();
    boolean counted = false;
    boolean failed = false;
    try {
      T result = call.call(meter);
      counted = true;
      return result;
    } catch (DependencyUnavailableException e) {
      counted = true;
      failed = true;
      throw e;
    } catch (IOException e) {
      counted = true;
      failed = true;
      throw new DependencyUnavailableException(name(), "'" + name() + "' unreachable: " + e, e);
    } catch (RateLimitedException e) {
      throw e; // the dependency is up; it asks us to slow down
    } finally {
      // on the worker's clock: a test can make a call slow by moving its clock during the call
      boolean slow = breaker.time().nanoTime() - start >= breaker.config().slowCallDuration().toNanos();
      settle(held, used.get(), permit, counted, failed, slow);
    }
  }

  private void recordQuietly(DistributedBreaker.Permit permit, boolean counted, boolean failed, boolean slow) {
    settle(null, -1, permit, counted, failed, slow);
  }

  /**
   * Settles the limits and records the outcome with the interrupt flag cleared: an interrupted
   * caller (deadline, shutdown) must still do both, or a probe slot or a permit stays taken until
   * its lease ends; the interrupt is restored after.
   */
  private void settle(DependencyLimits.Held held, long usedUnits, DistributedBreaker.Permit permit, boolean counted,
      boolean failed, boolean slow) {
    boolean interrupted = Thread.interrupted();
    try {
      if (held != null) {
        held.finish(usedUnits);
      }
      breaker.record(permit, counted, failed, slow);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public BreakerState state() {
    return breaker.view().state();
  }
}
