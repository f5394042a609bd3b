package dev.baton.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A clock that moves only when told to, and fires the timers scheduled on it as it passes them: the
 * test double for Baton's time, after db-scheduler's {@code SettableClock} and {@code
 * ManualScheduler}.
 *
 * <p>Give it to a worker with {@code Worker.Builder.clock(clock)} (or to a client with {@code
 * BatonClient.connect(config, codec, clock)}) and every time-based decision of that worker follows
 * it instead of the system clock: attempt times, task deadlines, the lease-renewal check of the
 * heartbeat, the recoverer's grace after an outage, outcome-write retries and their window, the
 * pauses of the background loops, breaker windows and permit renewals. Waits and timers end only
 * when {@link #advance} or {@link #set} moves the clock past them. What Redis decides on its own
 * clock (leases as pending-entry idle time, due times, parking and breaker open periods, rate
 * windows) does not follow this clock.
 *
 * <p>A new clock starts at the current system time, truncated to milliseconds, unless given a start.
 * Elapsed time the worker measures on this clock is the difference of two of its instants, so
 * moving it backwards with {@link #set} makes it negative (timers wait for the clock to come back).
 *
 * <p>Thread-safe. Moving the clock forward steps it from timer to timer: each timer fires with the
 * clock at its due instant, in the order of their due instants (then of scheduling), on the thread
 * that moves the clock and outside the clock's lock, so a timer that schedules another sees the time
 * it fired at, and the new one fires in the same call if it is due by the target instant. A timer
 * that throws is logged and does not stop the others. Moves of the clock are serialized: one waits
 * while another fires its timers.
 */
public final class SettableClock implements InstantSource {
  private static final Logger log = LoggerFactory.getLogger(SettableClock.class);

  /** A timer scheduled with {@link SettableClock#schedule}. */
  public interface Timer {
    /**
     * Cancels it.
     *
     * @return true if it had neither fired nor been cancelled before
     */
    boolean cancel();

    /**
     * The instant at which it fires.
     *
     * @return its due instant
     */
    Instant due();
  }

  private final ReentrantLock lock = new ReentrantLock();
  /** Serializes moves of the clock, so timers fire one at a time and in order. */
  private final ReentrantLock moving = new ReentrantLock();
  private final PriorityQueue<Entry> timers = new PriorityQueue<>();
  private Instant now;
  private long sequence;

  /** A clock at the current system time, truncated to milliseconds. */
  public SettableClock() {
    this(Instant.ofEpochMilli(System.currentTimeMillis()));
  }

  /**
   * A clock at {@code start}.
   *
   * @param start the instant it reads until moved
   */
  public SettableClock(Instant start) {
    this.now = Objects.requireNonNull(start, "start");
  }

  @Override
  public Instant instant() {
    lock.lock();
    try {
      return now;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves the clock to {@code instant}: forwards, stepping through every timer due by then as
   * {@link #advance} does; or backwards, firing nothing.
   *
   * @param instant the new reading
   */
  public void set(Instant instant) {
    Objects.requireNonNull(instant, "instant");
    moveTo(instant);
  }

  /**
   * Moves the clock forward by {@code duration}, firing every timer due by the new instant, each
   * with the clock at its due instant.
   *
   * @param duration how far to move, zero or more
   * @throws IllegalArgumentException when {@code duration} is negative
   */
  public void advance(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("cannot advance by a negative duration: " + duration);
    }
    moving.lock();
    try {
      moveTo(instant().plus(duration));
    } finally {
      moving.unlock();
    }
  }

  /**
   * Runs {@code action} once the clock reaches now plus {@code delay}, on the thread that moves it
   * there (at once, on this thread, when {@code delay} is zero or negative). Baton's worker and client
   * schedule their timers and pauses here when given this clock; keep actions short, as they run on
   * the test's thread.
   *
   * @param delay how far from now it fires
   * @param action what runs then
   * @return the timer, to cancel it or read its due instant
   */
  public Timer schedule(Duration delay, Runnable action) {
    Objects.requireNonNull(delay, "delay");
    Objects.requireNonNull(action, "action");
    Entry e;
    lock.lock();
    try {
      e = new Entry(now.plus(delay), sequence++, action);
      timers.add(e);
    } finally {
      lock.unlock();
    }
    if (!delay.isPositive()) {
      moveTo(instant());
    }
    return e;
  }

  /**
   * How many timers wait to fire: lets a test wait until a worker has armed one before advancing.
   *
   * @return the number of timers not yet fired or cancelled
   */
  public int pendingTimers() {
    lock.lock();
    try {
      return timers.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The due instants of the timers waiting to fire, earliest first.
   *
   * @return their due instants
   */
  public List<Instant> pendingDue() {
    lock.lock();
    try {
      List<Entry> sorted = new ArrayList<>(timers);
      sorted.sort(null);
      return sorted.stream().map(Entry::due).toList();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "SettableClock[" + instant() + ", " + pendingTimers() + " timer(s)]";
  }

  /** Steps the clock to {@code target} through every timer due by then, firing each at its due instant. */
  private void moveTo(Instant target) {
    moving.lock();
    try {
      while (true) {
        Entry next;
        lock.lock();
        try {
          next = timers.peek();
          if (next == null || next.due.isAfter(target)) {
            now = target;
            return;
          }
          timers.poll();
          if (next.due.isAfter(now)) {
            now = next.due;
          }
        } finally {
          lock.unlock();
        }
        if (next.claim()) {
          try {
            next.action.run();
          } catch (RuntimeException | Error t) {
            log.warn("timer due at {} failed: {}", next.due, t.toString(), t);
          }
        }
      }
    } finally {
      moving.unlock();
    }
  }

  private final class Entry implements Timer, Comparable<Entry> {
    private final Instant due;
    private final long seq;
    private final Runnable action;
    private boolean done; // guarded by lock

    Entry(Instant due, long seq, Runnable action) {
      this.due = due;
      this.seq = seq;
      this.action = action;
    }

    /** True once: for the firing or for the cancel, whichever comes first. */
    boolean claim() {
      lock.lock();
      try {
        if (done) {
          return false;
        }
        done = true;
        return true;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public boolean cancel() {
      lock.lock();
      try {
        if (done) {
          return false;
        }
        done = true;
        timers.remove(this);
        return true;
      } finally {
        lock.unlock();
      }
    }

    @Override
    public Instant due() {
      return due;
    }

    @Override
    public int compareTo(Entry o) {
      int c = due.compareTo(o.due);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }
}
