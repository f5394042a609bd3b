package dev.baton.internal.breaker;

import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerConfig.WindowType;
import dev.baton.resilience.BreakerState;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A circuit breaker held by one worker, with the same state machine as the Redis scripts. It is fed
 * every outcome the worker sees, so when Redis cannot be reached it can take over at once and
 * still protect the dependency from this worker. Thread-safe.
 */
public final class LocalBreaker {
  /** Permission from this breaker: the generation it was given under, and whether it is a probe. */
  public record Permit(boolean allowed, boolean probe, long gen, long retryAfterMillis) {}

  private record Call(long atMillis, boolean failed, boolean slow) {}

  private final BreakerConfig config;
  private final InstantSource clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Call> window = new ArrayDeque<>();
  private BreakerState state = BreakerState.CLOSED;
  private long gen;
  private long openUntil;
  private int probesInFlight;
  private int probeSuccesses;

  public LocalBreaker(BreakerConfig config, InstantSource clock) {
    this.config = config;
    this.clock = clock;
  }

  public Permit acquire() {
    lock.lock();
    try {
      long now = clock.millis();
      if (state == BreakerState.CLOSED) {
        return new Permit(true, false, gen, 0);
      }
      if (state == BreakerState.OPEN) {
        if (now < openUntil) {
          return new Permit(false, false, gen, openUntil - now);
        }
        transition(BreakerState.HALF_OPEN, now);
      }
      if (probesInFlight + probeSuccesses < config.permittedProbes()) {
        probesInFlight++;
        return new Permit(true, true, gen, 0);
      }
      return new Permit(false, false, gen, 0);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Records the outcome of a call this breaker allowed. {@code counted} false: the call neither
   * succeeded nor failed as far as the dependency goes (a probe slot is just given back).
   */
  public void record(Permit permit, boolean counted, boolean failed, boolean slow) {
    lock.lock();
    try {
      if (!permit.allowed() || permit.gen() != gen) {
        return; // allowed before a transition: stale
      }
      long now = clock.millis();
      if (state == BreakerState.HALF_OPEN && permit.probe()) {
        probesInFlight = Math.max(0, probesInFlight - 1);
        if (!counted) {
          return;
        }
        if (failed || slow) {
          transition(BreakerState.OPEN, now);
        } else if (++probeSuccesses >= config.permittedProbes()) {
          transition(BreakerState.CLOSED, now);
        }
      } else if (state == BreakerState.CLOSED && counted) {
        addToWindow(new Call(now, failed, slow), now);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Feeds an outcome decided by the Redis breaker, so this one stays warm; only while closed. */
  public void shadow(boolean failed, boolean slow) {
    lock.lock();
    try {
      if (state == BreakerState.CLOSED) {
        long now = clock.millis();
        addToWindow(new Call(now, failed, slow), now);
      }
    } finally {
      lock.unlock();
    }
  }

  private void addToWindow(Call call, long now) {
    window.addLast(call);
    if (config.windowType() == WindowType.COUNT) {
      while (window.size() > config.windowSize()) {
        window.removeFirst();
      }
    } else {
      long from = (now / 1000 - config.windowSize() + 1) * 1000;
      while (!window.isEmpty() && window.peekFirst().atMillis() < from) {
        window.removeFirst();
      }
    }
    int calls = window.size();
    int min = config.windowType() == WindowType.COUNT
        ? Math.min(config.minimumCalls(), config.windowSize()) : config.minimumCalls();
    if (calls < min) {
      return;
    }
    long failures = window.stream().filter(Call::failed).count();
    long slow = window.stream().filter(Call::slow).count();
    if (failures * 100.0 / calls >= config.failureRateThreshold()
        || slow * 100.0 / calls >= config.slowCallRateThreshold()) {
      transition(BreakerState.OPEN, now);
    }
  }

  private void transition(BreakerState to, long now) {
    if (!state.canTransitionTo(to)) {
      throw new IllegalStateException("illegal breaker transition " + state + " -> " + to);
    }
    state = to;
    gen++;
    window.clear();
    probesInFlight = 0;
    probeSuccesses = 0;
    openUntil = to == BreakerState.OPEN ? now + config.waitInOpen().toMillis() : 0;
  }

  public BreakerState state() {
    lock.lock();
    try {
      return state;
    } finally {
      lock.unlock();
    }
  }

  /** Time left in open, 0 when not open or the wait has passed. */
  public long openRemainingMillis() {
    lock.lock();
    try {
      return state == BreakerState.OPEN ? Math.max(0, openUntil - clock.millis()) : 0;
    } finally {
      lock.unlock();
    }
  }

  public long generation() {
    lock.lock();
    try {
      return gen;
    } finally {
      lock.unlock();
    }
  }
}
