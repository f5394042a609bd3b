package dev.baton.internal.time;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Real time: instants from the configured clock (the system clock unless the application gave
 * another), elapsed time from {@link System#nanoTime}, which a wall-clock step (NTP, a skewed host)
 * cannot move, so a clock jump never expires a lease check or a deadline early.
 */
final class SystemTimekeeper implements Timekeeper {
  static final SystemTimekeeper PLAIN = new SystemTimekeeper(InstantSource.system(), null);

  private final InstantSource clock;
  private final ScheduledExecutorService timers;

  SystemTimekeeper(InstantSource clock, ScheduledExecutorService timers) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timers = timers;
  }

  @Override
  public Instant instant() {
    return clock.instant();
  }

  @Override
  public long millis() {
    return clock.millis();
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Timer schedule(Runnable action, Duration delay) {
    ScheduledFuture<?> f = executor().schedule(action, delay.toNanos(), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  @Override
  public Timer scheduleRepeating(Runnable action, Duration period) {
    long nanos = period.toNanos();
    ScheduledFuture<?> f = executor().scheduleWithFixedDelay(action, nanos, nanos, TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  @Override
  public void sleep(Duration pause) throws InterruptedException {
    if (pause.isPositive()) {
      Thread.sleep(pause);
    }
  }

  @Override
  public void await(ReentrantLock lock, Condition condition, Duration pause) throws InterruptedException {
    if (pause.isPositive()) {
      condition.awaitNanos(pause.toNanos());
    }
  }

  @Override
  public boolean isManual() {
    return false;
  }

  private ScheduledExecutorService executor() {
    if (timers == null) {
      throw new IllegalStateException("this timekeeper has no timer executor");
    }
    return timers;
  }
}
