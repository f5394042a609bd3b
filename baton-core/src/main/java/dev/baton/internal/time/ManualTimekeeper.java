package dev.baton.internal.time;

import dev.baton.testing.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Time as a {@link SettableClock} says: nothing waits, fires or expires until the test moves it.
 * Elapsed time is the difference of two of its instants.
 */
final class ManualTimekeeper implements Timekeeper {
  private final SettableClock clock;

  ManualTimekeeper(SettableClock clock) {
    this.clock = clock;
  }

  @Override
  public Instant instant() {
    return clock.instant();
  }

  @Override
  public long nanoTime() {
    Instant now = clock.instant();
    return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
  }

  @Override
  public Timer schedule(Runnable action, Duration delay) {
    SettableClock.Timer t = clock.schedule(delay, action);
    return t::cancel;
  }

  @Override
  public Timer scheduleRepeating(Runnable action, Duration period) {
    if (!period.isPositive()) {
      throw new IllegalArgumentException("period must be positive, got " + period);
    }
    Repeating r = new Repeating(action, period);
    r.arm();
    return r;
  }

  /** Re-armed after each run, so a cancel during a run wins, as with a fixed-delay executor. */
  private final class Repeating implements Timer, Runnable {
    private final ReentrantLock lock = new ReentrantLock();
    private final Runnable action;
    private final Duration period;
    private SettableClock.Timer next;
    private boolean cancelled;

    Repeating(Runnable action, Duration period) {
      this.action = action;
      this.period = period;
    }

    void arm() {
      lock.lock();
      try {
        if (!cancelled) {
          next = clock.schedule(period, this);
        }
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void run() {
      lock.lock();
      try {
        if (cancelled) {
          return;
        }
      } finally {
        lock.unlock();
      }
      action.run();
      arm();
    }

    @Override
    public void cancel() {
      lock.lock();
      try {
        cancelled = true;
        if (next != null) {
          next.cancel();
        }
      } finally {
        lock.unlock();
      }
    }
  }

  @Override
  public void sleep(Duration pause) throws InterruptedException {
    if (!pause.isPositive()) {
      return;
    }
    CountDownLatch woken = new CountDownLatch(1);
    SettableClock.Timer t = clock.schedule(pause, woken::countDown);
    try {
      woken.await();
    } finally {
      t.cancel();
    }
  }

  @Override
  public void await(ReentrantLock lock, Condition condition, Duration pause) throws InterruptedException {
    if (!pause.isPositive()) {
      return;
    }
    SettableClock.Timer t = clock.schedule(pause, () -> {
      lock.lock();
      try {
        condition.signalAll();
      } finally {
        lock.unlock();
      }
    });
    try {
      condition.await();
    } finally {
      t.cancel();
    }
  }

  @Override
  public boolean isManual() {
    return true;
  }
}
