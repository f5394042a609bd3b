package dev.baton.internal.server;

import dev.baton.WorkerFaultException;
import dev.baton.internal.time.Timekeeper;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long one agent type's fetching pauses after its handler reported a {@link
 * WorkerFaultException}: {@link WorkerFaultException#BACKOFF_BASE}, doubled per fault in a row, at
 * most {@link WorkerFaultException#BACKOFF_CAP}. A fault while a back-off is running (a task that
 * was already running when the first fault came) does not lengthen it; it is counted and named in
 * the next back-off's log line. Any outcome that is not a fault ends the run of faults. Times on
 * the worker's clock. Thread-safe.
 */
final class FaultBackoff {
  private static final Logger log = LoggerFactory.getLogger(FaultBackoff.class);

  private final String agentType;
  private final Timekeeper clock;
  private final ReentrantLock lock = new ReentrantLock();
  /** Back-offs started since the last healthy outcome. */
  private int inARow;
  /** Faults seen while a back-off was running, reported with the next one. */
  private int heldBack;
  private long pausedUntilNanos;
  private boolean paused;

  FaultBackoff(String agentType, Timekeeper clock) {
    this.agentType = agentType;
    this.clock = clock;
  }

  /** The pause after the {@code n}-th back-off in a row (1-based): base × 2^(n−1), capped. */
  static Duration delay(int n) {
    long base = WorkerFaultException.BACKOFF_BASE.toMillis();
    long cap = WorkerFaultException.BACKOFF_CAP.toMillis();
    return Duration.ofMillis(n > 20 ? cap : Math.min(cap, base << (n - 1)));
  }

  /** Records a fault of the task {@code taskId}; starts a back-off unless one is running. */
  void fault(String taskId, Throwable fault, boolean released) {
    lock.lock();
    try {
      long now = clock.nanoTime();
      if (paused && now - pausedUntilNanos < 0) {
        heldBack++;
        log.debug("worker fault in {} (task {}) during a back-off: {}", agentType, taskId, fault.getMessage());
        return;
      }
      inARow++;
      Duration pause = delay(inARow);
      pausedUntilNanos = now + pause.toNanos();
      paused = true;
      log.error("worker fault in {} (task {}): {}; the task was {}, not charged an attempt; fetching of {} paused for "
          + "{} ms ({} back-off(s) in a row{})", agentType, taskId, fault.getMessage(),
          released ? "released to the queue"
              : "not released (taken over meanwhile, or Redis failed: then it is taken over after its lease)",
          agentType, pause.toMillis(), inARow, heldBack == 0 ? "" : ", " + heldBack + " more fault(s) meanwhile");
      heldBack = 0;
    } finally {
      lock.unlock();
    }
  }

  /** An outcome that is not a fault: the next fault starts again at the shortest back-off. */
  void healthy() {
    lock.lock();
    try {
      inARow = 0;
    } finally {
      lock.unlock();
    }
  }

  /** How long fetching must still wait; zero when not backing off. */
  Duration remaining() {
    lock.lock();
    try {
      if (!paused) {
        return Duration.ZERO;
      }
      long left = pausedUntilNanos - clock.nanoTime();
      if (left <= 0) {
        paused = false;
        return Duration.ZERO;
      }
      return Duration.ofNanos(left);
    } finally {
      lock.unlock();
    }
  }
}
