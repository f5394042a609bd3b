package dev.baton.internal.time;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class TimekeeperTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void aSettableClockMakesAManualTimekeeperWhoseElapsedTimeIsTheClocks() {
    SettableClock clock = new SettableClock(T0);
    Timekeeper time = Timekeeper.of(clock, null);
    assertThat(time.isManual()).isTrue();
    assertThat(time.instant()).isEqualTo(T0);
    long before = time.nanoTime();
    clock.advance(Duration.ofMillis(1234));
    assertThat(time.nanoTime() - before).isEqualTo(Duration.ofMillis(1234).toNanos());
    assertThat(time.millis()).isEqualTo(T0.toEpochMilli() + 1234);
  }

  @Test
  void anyOtherClockGivesInstantsButElapsedTimeIsMonotonicRealTime() throws Exception {
    Timekeeper time = Timekeeper.of(InstantSource.fixed(T0), null);
    assertThat(time.isManual()).isFalse();
    assertThat(time.instant()).isEqualTo(T0);
    long before = time.nanoTime();
    Thread.sleep(5); // the subject is real elapsed time under a clock that stands still
    assertThat(time.nanoTime() - before).isGreaterThanOrEqualTo(Duration.ofMillis(5).toNanos());
    assertThat(time.instant()).isEqualTo(T0);
  }

  @Test
  void manualSleepEndsWhenTheClockPassesItsEnd() throws Exception {
    SettableClock clock = new SettableClock(T0);
    Timekeeper time = Timekeeper.of(clock, null);
    CountDownLatch woke = new CountDownLatch(1);
    Thread sleeper = Thread.ofVirtual().start(() -> {
      try {
        time.sleep(Duration.ofSeconds(2));
        woke.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    awaitTimers(clock, 1);
    clock.advance(Duration.ofMillis(1999));
    assertThat(woke.await(50, TimeUnit.MILLISECONDS)).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(woke.await(5, TimeUnit.SECONDS)).isTrue();
    sleeper.join();
  }

  @Test
  void anInterruptedManualSleepCancelsItsTimer() throws Exception {
    SettableClock clock = new SettableClock(T0);
    Timekeeper time = Timekeeper.of(clock, null);
    CountDownLatch interrupted = new CountDownLatch(1);
    Thread sleeper = Thread.ofVirtual().start(() -> {
      try {
        time.sleep(Duration.ofSeconds(2));
      } catch (InterruptedException e) {
        interrupted.countDown();
      }
    });
    awaitTimers(clock, 1);
    sleeper.interrupt();
    assertThat(interrupted.await(5, TimeUnit.SECONDS)).isTrue();
    sleeper.join();
    assertThat(clock.pendingTimers()).isZero();
  }

  @Test
  void manualAwaitReturnsWhenSignalledOrWhenTheClockPassesThePause() throws Exception {
    SettableClock clock = new SettableClock(T0);
    Timekeeper time = Timekeeper.of(clock, null);
    ReentrantLock lock = new ReentrantLock();
    Condition cond = lock.newCondition();
    CountDownLatch done = new CountDownLatch(2);
    Thread waiter = Thread.ofVirtual().start(() -> {
      for (int i = 0; i < 2; i++) {
        lock.lock();
        try {
          time.await(lock, cond, Duration.ofSeconds(1));
          done.countDown();
        } catch (InterruptedException e) {
          return;
        } finally {
          lock.unlock();
        }
      }
    });
    awaitTimers(clock, 1);
    clock.advance(Duration.ofSeconds(1)); // the first wait ends by the clock
    awaitTimers(clock, 1);
    assertThat(done.getCount()).isEqualTo(1);
    lock.lock();
    try {
      cond.signalAll(); // the second by a signal, the clock untouched
    } finally {
      lock.unlock();
    }
    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    waiter.join();
    assertThat(clock.pendingTimers()).as("the timer of a signalled wait is cancelled").isZero();
  }

  @Test
  void aManualRepeatingTimerRunsOncePerPeriodUntilCancelled() {
    SettableClock clock = new SettableClock(T0);
    Timekeeper time = Timekeeper.of(clock, null);
    AtomicInteger runs = new AtomicInteger();
    Timekeeper.Timer t = time.scheduleRepeating(runs::incrementAndGet, Duration.ofMillis(300));
    clock.advance(Duration.ofMillis(299));
    assertThat(runs).hasValue(0);
    clock.advance(Duration.ofMillis(1));
    assertThat(runs).hasValue(1);
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofMillis(300));
    }
    assertThat(runs).hasValue(4);
    t.cancel();
    clock.advance(Duration.ofSeconds(10));
    assertThat(runs).hasValue(4);
    assertThat(clock.pendingTimers()).isZero();
  }

  @Test
  void oneLongAdvanceRunsARepeatingTimerOncePerPeriodItSpans() {
    SettableClock clock = new SettableClock(T0);
    AtomicInteger runs = new AtomicInteger();
    Timekeeper.of(clock, null).scheduleRepeating(runs::incrementAndGet, Duration.ofMillis(300));
    clock.advance(Duration.ofSeconds(1));
    assertThat(runs).hasValue(3);
    assertThat(clock.pendingDue()).containsExactly(T0.plusMillis(1200));
  }

  @Test
  void theSystemTimekeeperRunsTimersOnItsExecutor() throws Exception {
    ScheduledExecutorService exec = Executors.newSingleThreadScheduledExecutor();
    try {
      Timekeeper time = Timekeeper.of(InstantSource.system(), exec);
      CountDownLatch once = new CountDownLatch(1);
      CountDownLatch thrice = new CountDownLatch(3);
      time.schedule(once::countDown, Duration.ofMillis(1));
      Timekeeper.Timer repeating = time.scheduleRepeating(thrice::countDown, Duration.ofMillis(1));
      assertThat(once.await(5, TimeUnit.SECONDS)).isTrue();
      assertThat(thrice.await(5, TimeUnit.SECONDS)).isTrue();
      repeating.cancel();
      AtomicInteger late = new AtomicInteger();
      time.schedule(late::incrementAndGet, Duration.ofHours(1)).cancel();
      assertThat(late).hasValue(0);
    } finally {
      exec.shutdownNow();
    }
  }

  /** Waits (real time, bounded) until another thread has armed {@code n} timers on the clock. */
  private static void awaitTimers(SettableClock clock, int n) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (clock.pendingTimers() < n) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timers armed: " + clock.pendingTimers() + ", expected " + n);
      }
      Thread.onSpinWait();
    }
  }
}
