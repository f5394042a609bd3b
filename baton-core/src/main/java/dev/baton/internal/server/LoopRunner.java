package dev.baton.internal.server;

import dev.baton.internal.time.Timekeeper;
import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one background component's pass again and again on its own thread until stopped. A pass
 * that throws is logged (at most once per {@link #LOG_EVERY} with a count of the ones held back)
 * and the loop carries on after a growing pause: background loops never die silently. Pauses are
 * measured on the worker's {@link Timekeeper}, so a test clock decides when the next pass runs.
 */
public final class LoopRunner {
  /** One pass of a component; returns how long to wait before the next. */
  @FunctionalInterface
  public interface Pass {
    Duration runOnce() throws Exception;
  }

  static final Duration LOG_EVERY = Duration.ofSeconds(10);
  private static final Logger log = LoggerFactory.getLogger(LoopRunner.class);

  static final Duration DEFAULT_MAX_FAILURE_PAUSE = Duration.ofSeconds(5);

  private final String name;
  private final Pass pass;
  private final Timekeeper time;
  private final long maxFailurePauseMillis;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private volatile boolean stopped;
  private Thread thread;
  private long lastLogNanos;
  private int suppressed;

  public LoopRunner(String name, Pass pass, Timekeeper time) {
    this(name, pass, time, DEFAULT_MAX_FAILURE_PAUSE);
  }

  /**
   * A loop whose pause after a failed pass grows from 100 ms up to {@code maxFailurePause}: a loop
   * with a deadline to keep (the heartbeat) must not back off past it.
   */
  public LoopRunner(String name, Pass pass, Timekeeper time, Duration maxFailurePause) {
    this.name = name;
    this.pass = pass;
    this.time = time;
    this.maxFailurePauseMillis = Math.max(1, maxFailurePause.toMillis());
  }

  public void start() {
    thread = Thread.ofPlatform().daemon(true).name(name).start(this::loop);
  }

  private void loop() {
    int failures = 0;
    while (!stopped) {
      Duration pause;
      try {
        pause = pass.runOnce();
        failures = 0;
      } catch (Throwable t) {
        if (stopped) {
          break;
        }
        failures++;
        logFailure(t);
        pause = Duration.ofMillis(Math.min(maxFailurePauseMillis, 50L << Math.min(failures, 7)));
      }
      sleep(pause);
    }
  }

  private void logFailure(Throwable t) {
    long now = time.nanoTime();
    if (lastLogNanos == 0 || now - lastLogNanos >= LOG_EVERY.toNanos()) {
      log.warn("{} pass failed ({} similar failures held back): {}", name, suppressed, t.toString(), t);
      lastLogNanos = now;
      suppressed = 0;
    } else {
      suppressed++;
    }
  }

  private void sleep(Duration pause) {
    if (pause.isZero() || pause.isNegative()) {
      return;
    }
    lock.lock();
    try {
      if (!stopped) {
        time.await(lock, wake, pause);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopped = true;
    } finally {
      lock.unlock();
    }
  }

  /** Asks the loop to end after the current pass and waits up to {@code wait} for it. */
  public void stop(Duration wait) {
    requestStop();
    awaitExit(wait);
  }

  /** Asks the loop to end after the current pass, without waiting. */
  public void requestStop() {
    stopped = true;
    lock.lock();
    try {
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits up to {@code wait} for the loop's thread to end; true if it has. */
  public boolean awaitExit(Duration wait) {
    if (thread == null) {
      return true;
    }
    try {
      return thread.join(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !thread.isAlive();
    }
  }

  public boolean isStopped() {
    return stopped;
  }
}
