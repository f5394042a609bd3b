package dev.baton.internal.time;

import dev.baton.testing.SettableClock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How worker- and client-side components read time and wait for it: wall-clock instants for what
 * is recorded, a monotonic reading for elapsed time, one-shot and repeating timers, and pauses.
 * Components take one instead of calling {@link System#nanoTime}, {@link Thread#sleep} or a
 * scheduler of their own, so a test can drive them with a {@link SettableClock}.
 *
 * <p>Only decisions Baton makes on its own clock go through here. Instants that several processes
 * compare (leases as pending-entry idle time, due times, parking, breaker open periods, rate
 * windows) are Redis server time. Waits that only bound I/O (how long to wait for a reply, how long
 * a call took) and the shutdown grace stay on real time, whatever the clock: a test clock that
 * stands still must not hang them.
 */
public interface Timekeeper extends InstantSource {
  /** A scheduled action; cancelling a fired or cancelled one does nothing. */
  interface Timer {
    void cancel();
  }

  /**
   * The system timekeeper over {@code clock} for instants, or the manual one when {@code clock} is a
   * {@link SettableClock}. {@code timers} runs the system timekeeper's timers; null when the caller
   * schedules none.
   */
  static Timekeeper of(InstantSource clock, ScheduledExecutorService timers) {
    if (clock instanceof SettableClock settable) {
      return new ManualTimekeeper(settable);
    }
    return new SystemTimekeeper(clock, timers);
  }

  /** The system clock, with no timer executor: for components that read time but schedule nothing. */
  static Timekeeper system() {
    return SystemTimekeeper.PLAIN;
  }

  /** Monotonic nanoseconds for elapsed time; only differences between two readings mean anything. */
  long nanoTime();

  /** Runs {@code action} once after {@code delay}; on a timer thread, or on the thread moving a settable clock. */
  Timer schedule(Runnable action, Duration delay);

  /** Runs {@code action} every {@code period}, the first time one period from now, until cancelled. */
  Timer scheduleRepeating(Runnable action, Duration period);

  /** Pauses the calling thread for {@code pause}. */
  void sleep(Duration pause) throws InterruptedException;

  /**
   * Waits on {@code condition} (whose {@code lock} the caller holds) until it is signalled or
   * {@code pause} has passed; may return early, as {@link Condition#await} may.
   */
  void await(ReentrantLock lock, Condition condition, Duration pause) throws InterruptedException;

  /** True when time only moves when a test moves it (a {@link SettableClock}). */
  boolean isManual();
}
