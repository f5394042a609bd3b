package dev.baton.cli.demo;

import dev.baton.resilience.BreakerTransition;
import dev.baton.Inspector;
import dev.baton.TaskError;
import dev.baton.TaskInfo;
import dev.baton.TaskState;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Prints one line per event of the demo's tasks. It polls the record of every tracked task a few
 * times a second and reports what changed: first seen, each finished attempt (from the attempt
 * history, so no attempt is missed however short it was), and dead-lettering. Agents may also add
 * narrative lines with {@link #note}.
 */
final class ProgressPrinter implements AutoCloseable {
  static final Duration POLL_INTERVAL = Duration.ofMillis(150);

  private final PrintWriter out;
  private final Inspector inspector;
  private final long startNanos;
  private final List<Tracked> tracked = new CopyOnWriteArrayList<>();
  private final Map<String, TaskInfo> latest = new ConcurrentHashMap<>();
  private final List<String> breakers = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> transitionsSeen = new ConcurrentHashMap<>();
  private volatile Thread poller;
  private volatile boolean stopped;

  private static final class Tracked {
    final String agentType;
    final String id;
    final String label;
    boolean seen;
    int historySeen;
    TaskState lastState;

    Tracked(String agentType, String id, String label) {
      this.agentType = agentType;
      this.id = id;
      this.label = label;
    }
  }

  ProgressPrinter(PrintWriter out, Inspector inspector, long startNanos) {
    this.out = out;
    this.inspector = inspector;
    this.startNanos = startNanos;
  }

  /** Reports the events of this task from now on. {@code label} names it in each line (may be empty). */
  void track(String agentType, String id, String label) {
    tracked.add(new Tracked(agentType, id, label));
  }

  /** Reports the transitions of this dependency's circuit breaker from now on. */
  void watchBreaker(String dependency) {
    breakers.add(dependency);
  }

  /** Transitions of watched breakers printed so far. */
  List<BreakerTransition> transitions() {
    List<BreakerTransition> all = new ArrayList<>();
    for (String b : breakers) {
      all.addAll(inspector.breakerTransitions(b));
    }
    return all;
  }

  /** Prints a line now, after the events that happened before it. */
  synchronized void note(String agent, String label, String message) {
    pollQuietly();
    print(agent, label, message);
  }

  private void print(String agent, String label, String message) {
    line(out, startNanos, agent, label, message);
  }

  /** Prints one progress line: time since {@code startNanos}, who, about what, what happened. */
  static void line(PrintWriter out, long startNanos, String agent, String label, String message) {
    out.printf(Locale.ROOT, "[%5.1fs] %-11s %-21s %s%n", (System.nanoTime() - startNanos) / 1e9, agent, label, message);
    out.flush();
  }

  /** Starts polling on a daemon thread. */
  ProgressPrinter start() {
    poller = Thread.ofPlatform().daemon(true).name("baton-demo-progress").start(() -> {
      while (!stopped) {
        pollQuietly();
        try {
          Thread.sleep(POLL_INTERVAL);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    return this;
  }

  private void pollQuietly() {
    try {
      poll();
    } catch (RuntimeException e) {
      // Redis busy or going away: the next poll tries again
    }
  }

  /** Looks at every tracked task once and prints what changed since the last look, oldest first. */
  synchronized void poll() {
    List<Event> events = new ArrayList<>();
    for (Tracked t : tracked) {
      TaskInfo info = inspector.task(t.agentType, t.id).orElse(null);
      if (info == null) {
        continue;
      }
      latest.put(t.id, info);
      if (!t.seen) {
        t.seen = true;
        events.add(new Event(info.createdAt(), t, info.state() == TaskState.SCHEDULED ? "scheduled" : "queued"));
      }
      List<TaskError> history = info.history();
      for (int i = t.historySeen; i < history.size(); i++) {
        TaskError attempt = history.get(i);
        events.add(new Event(attempt.finishedAt(), t, describe(attempt, info, i == history.size() - 1)));
      }
      t.historySeen = Math.max(t.historySeen, history.size());
      if (info.state() == TaskState.PARKED && t.lastState != TaskState.PARKED) {
        events.add(new Event(Instant.now(), t,
            "parked: waiting for " + info.waitingFor() + " (" + oneLine(String.valueOf(info.parkedReason()))
                + "); attempts used " + info.attempts() + "/" + info.maxAttempts()));
      } else if (t.lastState == TaskState.PARKED && info.state() != TaskState.PARKED) {
        events.add(new Event(Instant.now(), t, "released from parking -> " + info.state().wireName()));
      }
      t.lastState = info.state();
    }
    for (String b : breakers) {
      List<BreakerTransition> all = inspector.breakerTransitions(b);
      int seen = transitionsSeen.getOrDefault(b, 0);
      for (int i = seen; i < all.size(); i++) {
        BreakerTransition tr = all.get(i);
        breakerEvents.add(new Event(tr.at(), null, "breaker " + b + ": " + tr.from().wireName() + " -> "
            + tr.to().wireName() + " (" + tr.reason() + ")"));
      }
      transitionsSeen.put(b, all.size());
    }
    events.addAll(breakerEvents);
    breakerEvents.clear();
    events.sort(Comparator.comparing(Event::at, Comparator.nullsFirst(Comparator.naturalOrder())));
    for (Event e : events) {
      if (e.task == null) {
        print("breaker", "", e.message);
      } else {
        print(e.task.agentType, e.task.label, e.message);
      }
    }
  }

  private final List<Event> breakerEvents = new ArrayList<>();

  /** What happened, when, to which tracked task (null: a breaker transition). */
  private record Event(Instant at, Tracked task, String message) {}

  private static String describe(TaskError attempt, TaskInfo info, boolean newest) {
    String head = "attempt " + attempt.attempt() + "/" + info.maxAttempts();
    if (attempt.succeeded()) {
      return head + " succeeded";
    }
    String why = attempt.message() != null ? attempt.message() : simpleName(attempt.errorClass());
    String next;
    if (newest && info.state() == TaskState.DEAD) {
      next = "-> dead-lettered";
    } else if (newest && info.state() == TaskState.RETRYING && info.scheduledAt() != null) {
      long ms = Math.max(0, Duration.between(attempt.finishedAt(), info.scheduledAt()).toMillis());
      next = "-> retry in " + ms + "ms";
    } else {
      next = "-> retry";
    }
    return head + " failed: " + oneLine(why) + " " + next;
  }

  private static String simpleName(String className) {
    return className == null ? "error" : className.substring(className.lastIndexOf('.') + 1);
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s+", " ").strip();
  }

  /** The latest record seen of every tracked task, in tracking order. */
  List<TaskInfo> latest() {
    List<TaskInfo> all = new ArrayList<>();
    for (Tracked t : tracked) {
      TaskInfo info = latest.get(t.id);
      if (info != null) {
        all.add(info);
      }
    }
    return all;
  }

  /** Stops polling, then looks once more so that every event up to now is printed. */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    Thread p = poller;
    if (p != null) {
      try {
        p.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    pollQuietly();
  }

  static String formatSeconds(double seconds) {
    return String.format(Locale.ROOT, "%.1fs", seconds);
  }
}
