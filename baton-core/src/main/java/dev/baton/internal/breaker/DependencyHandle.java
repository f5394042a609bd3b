package dev.baton.internal.breaker;

import dev.baton.BreakerState;
import dev.baton.Dependency;
import dev.baton.DependencyUnavailableException;
import dev.baton.RateLimitedException;
import java.io.IOException;

/** {@link Dependency} over one worker's {@link DistributedBreaker}. */
public final class DependencyHandle implements Dependency {
  private final DistributedBreaker breaker;

  public DependencyHandle(DistributedBreaker breaker) {
    this.breaker = breaker;
  }

  @Override
  public String name() {
    return breaker.name();
  }

  @Override
  public <T> T call(Call<T> call) throws Exception {
    DistributedBreaker.Permit permit = breaker.acquire();
    if (!permit.allowed()) {
      throw DependencyUnavailableException.refused(name(), "circuit breaker of '" + name() + "' is open"
          + (permit.retryAfterMillis() > 0 ? " (retry in " + permit.retryAfterMillis() + "ms)" : " (probing)"));
    }
    long start = System.nanoTime();
    boolean counted = false;
    boolean failed = false;
    try {
      T result = call.call();
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
      boolean slow = System.nanoTime() - start >= breaker.config().slowCallDuration().toNanos();
      // an interrupted caller (deadline, shutdown) must still record, or a probe slot stays taken
      // until its lease ends; the interrupt is restored after
      boolean interrupted = Thread.interrupted();
      try {
        breaker.record(permit, counted, failed, slow);
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  @Override
  public BreakerState state() {
    return breaker.view().state();
  }
}
