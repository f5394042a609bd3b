package dev.baton.internal.events;

import dev.baton.LifecycleListener;
import dev.baton.TaskEvent;
import dev.baton.resilience.BreakerTransition;
import dev.baton.resilience.LimitRefusal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands lifecycle events to the registered listeners. With none registered {@link #active()} is
 * false and every method returns at once, so call sites on the hot path check it before they build
 * an event's fields. A listener that throws is logged (at most once a minute per process) and the
 * step goes on.
 */
public final class LifecycleEvents {
  private static final Logger log = LoggerFactory.getLogger(LifecycleEvents.class);
  private static final long LOG_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

  /** No listeners. */
  public static final LifecycleEvents NONE = new LifecycleEvents(List.of());

  private final LifecycleListener[] listeners;
  private final boolean active;
  private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
  private final AtomicLong failures = new AtomicLong();

  public LifecycleEvents(List<LifecycleListener> listeners) {
    this.listeners = listeners.toArray(LifecycleListener[]::new);
    this.active = this.listeners.length > 0;
  }

  /** Whether anyone listens: when false, skip building events. */
  public boolean active() {
    return active;
  }

  /** Listener exceptions swallowed so far. */
  public long failures() {
    return failures.get();
  }

  public void task(TaskEvent.Kind kind, String queue, String taskId, int attempt, String worker, Instant at,
      Duration runTime, String detail) {
    if (!active) {
      return;
    }
    TaskEvent event = new TaskEvent(kind, queue, taskId, attempt, worker, at, runTime, detail);
    for (LifecycleListener l : listeners) {
      try {
        l.onTaskEvent(event);
      } catch (Throwable t) {
        failed(l, t);
      }
    }
  }

  public void breakerTransition(BreakerTransition transition) {
    if (!active) {
      return;
    }
    for (LifecycleListener l : listeners) {
      try {
        l.onBreakerTransition(transition);
      } catch (Throwable t) {
        failed(l, t);
      }
    }
  }

  public void limitRefused(LimitRefusal refusal) {
    if (!active) {
      return;
    }
    for (LifecycleListener l : listeners) {
      try {
        l.onLimitRefused(refusal);
      } catch (Throwable t) {
        failed(l, t);
      }
    }
  }

  private void failed(LifecycleListener l, Throwable t) {
    long n = failures.incrementAndGet();
    long now = System.nanoTime();
    long last = lastLogged.get();
    if (now - last >= LOG_EVERY_NANOS && lastLogged.compareAndSet(last, now)) {
      log.warn("lifecycle listener {} threw ({} failures so far; logged at most once a minute)", l.getClass().getName(),
          n, t);
    }
  }
}
