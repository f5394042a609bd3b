package dev.baton.chaos;

import dev.baton.chaos.ChaosReport.Duplicate;
import dev.baton.chaos.ChaosReport.Finding;
import dev.baton.chaos.FaultEvent.Kind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Computes a run's figures from the worker histories, the faults injected and the final task
 * records, in the manner of Jepsen's {@code total-queue} checker: every acknowledged enqueue must
 * end terminal; executions are rebuilt from start and finish events and compared with what Redis
 * recorded. Pure: no I/O, so it is unit-tested with hand-made histories.
 *
 * <ul>
 *   <li><b>lost</b>: accepted, not terminal, and nothing can run it any more (its record is gone, or
 *       it has no stream entry and is not in the delayed set);
 *   <li><b>stuck</b>: accepted, not terminal at the deadline, but still runnable;
 *   <li><b>duplicated execution</b>: an execution that finished ok after another one of the same
 *       task had, or that started while another one of the same task was still running (an execution
 *       without a finish event ends when its worker was killed); each is blamed on the fault that hit
 *       the earlier execution's worker in between (kill, pause, freeze, redis, cut) or "unexplained";
 *   <li><b>stale write accepted</b>: a stored result or failure record that does not come from the
 *       execution that held the task at that point: the result names a delivery other than the
 *       record's, names no execution that finished ok, or a later delivery had already started
 *       before the execution whose outcome was stored had finished;
 *   <li><b>redelivery</b>: for each execution running on a worker when it was killed (paused,
 *       frozen), the time from the fault to the task's next start on another worker.
 * </ul>
 *
 * <p>Pass: lost = 0, stuck = 0, stale writes accepted = 0, and duplicated executions at most
 * (kills + pauses + freezes) × concurrency + executions in flight at Redis crashes.
 */
public final class Checker {
  /**
   * @param title the run's name
   * @param settings shown with the table
   * @param concurrency handlers per worker: one fault can duplicate at most this many executions
   * @param leaseMillis the handler lease: a fault up to this long before a handler's start event can
   *     still be the cause of its duplicate (the task was started, then the worker was hit before
   *     the handler began)
   * @param runEndMillis when the run ended: the end of any execution still open
   */
  public record Params(String title, Map<String, String> settings, int concurrency, long leaseMillis,
      long runEndMillis) {}

  private Checker() {}

  public static ChaosReport check(Params p, Collection<String> accepted, Map<String, TaskRecord> records,
      List<HistoryEvent> events, long tornLines, List<FaultEvent> faults) {
    Map<String, Long> counts = new LinkedHashMap<>();
    long[] orphans = {0};
    Map<String, List<Execution>> byTask = executions(events, faults, p.runEndMillis(), orphans);

    List<Finding> lost = new ArrayList<>();
    List<Finding> stuck = new ArrayList<>();
    List<Finding> dead = new ArrayList<>();
    List<Finding> stale = new ArrayList<>();
    List<Finding> anomalies = new ArrayList<>();
    long succeeded = 0;
    long cancelled = 0;
    for (String id : accepted) {
      TaskRecord r = records.get(id);
      if (r == null) {
        lost.add(new Finding(id, "accepted but its record is gone; executions: " + describe(byTask.get(id))));
        continue;
      }
      switch (r.state()) {
        case "succeeded" -> succeeded++;
        case "cancelled" -> cancelled++;
        case "dead" -> dead.add(new Finding(id, r.deadReason() + "; deliveries " + r.deliveries()));
        default -> {
          String what = "state " + r.state() + ", deliveries " + r.deliveries() + ", attempts " + r.attempts()
              + "; executions: " + describe(byTask.get(id));
          if (r.reachable()) {
            stuck.add(new Finding(id, what));
          } else {
            lost.add(new Finding(id, "not terminal and nothing can run it: " + what));
          }
        }
      }
      StaleWrites.check(r, byTask.getOrDefault(id, List.of()), stale);
    }

    List<Duplicate> duplicates = new ArrayList<>();
    long executionCount = 0;
    long unknownDelivery = 0;
    long duplicatedTasks = 0;
    for (List<Execution> execs : byTask.values()) {
      executionCount += execs.size();
      unknownDelivery += execs.stream().filter(e -> e.delivery() < 0).count();
      int before = duplicates.size();
      duplicates(execs, faults, p.leaseMillis(), duplicates);
      if (duplicates.size() > before) {
        duplicatedTasks++;
      }
    }
    for (Duplicate d : duplicates) {
      if (d.cause().equals("unexplained")) {
        anomalies.add(new Finding(d.taskId(), "duplicate with no fault to blame: " + d.execution().describe()
            + " vs " + d.partner().describe()));
      }
    }

    Map<Kind, Integer> faultCounts = new EnumMap<>(Kind.class);
    for (FaultEvent f : faults) {
      if (f.kind() != Kind.STOP) {
        faultCounts.merge(f.kind(), 1, Integer::sum);
      }
    }
    long inFlightAtRedis = 0;
    for (FaultEvent f : faults) {
      if (f.isRedis()) {
        for (List<Execution> execs : byTask.values()) {
          inFlightAtRedis += execs.stream()
              .filter(e -> e.startMillis() <= f.startMillis() && e.endMillis() > f.startMillis()).count();
        }
      }
    }
    long allowance = (long) (faultCounts.getOrDefault(Kind.KILL, 0) + faultCounts.getOrDefault(Kind.PAUSE, 0)
        + faultCounts.getOrDefault(Kind.FREEZE, 0)) * p.concurrency() + inFlightAtRedis;

    Map<Kind, Latency> redelivery = new EnumMap<>(Kind.class);
    Map<Kind, Latency> redeliveryRedisUp = new EnumMap<>(Kind.class);
    for (Kind k : List.of(Kind.KILL, Kind.PAUSE, Kind.FREEZE)) {
      List<Long> upSamples = new ArrayList<>();
      redelivery.put(k, redelivery(k, faults, byTask, records, anomalies, upSamples));
      redeliveryRedisUp.put(k, Latency.of(upSamples));
    }
    Map<Kind, Latency> holderStop = new EnumMap<>(Kind.class);
    for (Kind k : List.of(Kind.PAUSE, Kind.FREEZE)) {
      holderStop.put(k, holderStop(k, duplicates, faults));
    }

    counts.put(ChaosReport.ACCEPTED, (long) accepted.size());
    counts.put(ChaosReport.SUCCEEDED, succeeded);
    counts.put(ChaosReport.DEAD, (long) dead.size());
    counts.put(ChaosReport.CANCELLED, cancelled);
    counts.put(ChaosReport.LOST, (long) lost.size());
    counts.put(ChaosReport.STUCK, (long) stuck.size());
    counts.put(ChaosReport.STALE, (long) stale.size());
    counts.put(ChaosReport.EXECUTIONS, executionCount);
    counts.put(ChaosReport.DUPLICATED, (long) duplicates.size());
    counts.put(ChaosReport.DUPLICATED_TASKS, duplicatedTasks);
    counts.put(ChaosReport.IN_FLIGHT_AT_REDIS_CRASH, inFlightAtRedis);
    counts.put(ChaosReport.ALLOWANCE, allowance);
    counts.put(ChaosReport.UNKNOWN_DELIVERY, unknownDelivery);
    counts.put(ChaosReport.TORN, tornLines);
    counts.put(ChaosReport.ORPHAN_FINISH, orphans[0]);

    List<String> failures = new ArrayList<>();
    if (!lost.isEmpty()) {
      failures.add("lost = " + lost.size() + " (expected 0)");
    }
    if (!stuck.isEmpty()) {
      failures.add("stuck = " + stuck.size() + " (expected 0)");
    }
    if (!stale.isEmpty()) {
      failures.add("stale writes accepted = " + stale.size() + " (expected 0)");
    }
    if (duplicates.size() > allowance) {
      failures.add("duplicated executions = " + duplicates.size() + " > allowed " + allowance
          + " ((kills + pauses + freezes) x concurrency " + p.concurrency() + " + in flight at Redis crashes)");
    }
    return new ChaosReport(p.title(), p.settings(), counts, faultCounts, redelivery, redeliveryRedisUp, holderStop,
        duplicates, lost,
        stuck, stale, dead, anomalies, failures);
  }

  // ---- executions ----------------------------------------------------------------------------

  /** Pairs each finish with the latest open start of the same task, worker, attempt and delivery. */
  static Map<String, List<Execution>> executions(List<HistoryEvent> events, List<FaultEvent> faults, long runEnd,
      long[] orphans) {
    Map<String, Long> endOfWorker = new HashMap<>();
    for (FaultEvent f : faults) {
      if (f.kind() == Kind.KILL || f.kind() == Kind.STOP) {
        endOfWorker.merge(f.worker(), f.startMillis(), Math::min);
      }
    }
    Map<String, List<HistoryEvent>> grouped = new LinkedHashMap<>();
    for (HistoryEvent e : events) {
      grouped.computeIfAbsent(e.taskId(), k -> new ArrayList<>()).add(e);
    }
    Map<String, List<Execution>> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<HistoryEvent>> g : grouped.entrySet()) {
      List<HistoryEvent> evs = new ArrayList<>(g.getValue());
      evs.sort(Comparator.comparingLong(HistoryEvent::atMillis).thenComparing(HistoryEvent::kind));
      List<HistoryEvent> open = new ArrayList<>();
      List<Execution> execs = new ArrayList<>();
      for (HistoryEvent e : evs) {
        if (e.kind() == HistoryEvent.Kind.START) {
          open.add(e);
          continue;
        }
        HistoryEvent start = null;
        for (int i = open.size() - 1; i >= 0; i--) {
          HistoryEvent s = open.get(i);
          if (s.worker().equals(e.worker()) && s.attempt() == e.attempt() && s.delivery() == e.delivery()) {
            start = open.remove(i);
            break;
          }
        }
        if (start == null) {
          orphans[0]++;
          start = e;
        }
        execs.add(new Execution(e.taskId(), e.worker(), e.attempt(), e.delivery(), start.atMillis(), e.atMillis(),
            e.outcome()));
      }
      for (HistoryEvent s : open) {
        Long end = endOfWorker.get(s.worker());
        long at = end != null && end >= s.atMillis() ? end : Math.max(runEnd, s.atMillis());
        execs.add(new Execution(s.taskId(), s.worker(), s.attempt(), s.delivery(), s.atMillis(), at, null));
      }
      execs.sort(Comparator.comparingLong(Execution::startMillis).thenComparingLong(Execution::delivery));
      out.put(g.getKey(), execs);
    }
    return out;
  }

  // ---- duplicates ----------------------------------------------------------------------------

  /**
   * Flags, in each pair of executions of one task, the one that started later when the two ran at
   * the same time or both finished ok; each execution is flagged once, so k executions of one task
   * give at most k - 1 duplicates.
   */
  private static void duplicates(List<Execution> execs, List<FaultEvent> faults, long lease, List<Duplicate> out) {
    for (int j = 1; j < execs.size(); j++) {
      Execution later = execs.get(j);
      for (int i = 0; i < j; i++) {
        Execution earlier = execs.get(i);
        boolean overlap = later.startMillis() < earlier.endMillis();
        if (overlap || (earlier.finishedOk() && later.finishedOk())) {
          out.add(new Duplicate(later.taskId(), overlap ? "started while another execution ran" : "finished ok again",
              blame(earlier, later, faults, lease), later, earlier));
          break;
        }
      }
    }
  }

  /**
   * The fault to blame for a duplicate: of the faults that hit either execution's worker (or Redis)
   * between the first one's start and the second one's start, the one that began first; a cut
   * (which by itself should cause no duplicate) only when there is nothing else.
   *
   * <p>Either worker, because the zombie is not always the one that started first: a worker frozen
   * right after its start script ran gets the reply after the thaw and only then runs the handler,
   * after the task was taken over and perhaps finished elsewhere. The window opens a lease plus a
   * second before the first handler's start event for the same reason: the lease begins when the
   * task is started, before the handler runs.
   */
  static String blame(Execution earlier, Execution later, List<FaultEvent> faults, long lease) {
    long from = Math.min(earlier.startMillis(), later.startMillis()) - lease - 1_000;
    long to = Math.max(later.startMillis(), earlier.startMillis());
    FaultEvent first = null;
    FaultEvent cut = null;
    for (FaultEvent f : faults) {
      boolean inWindow = f.startMillis() <= to && f.endMillis() >= from;
      boolean relevant = switch (f.kind()) {
        case KILL, PAUSE, FREEZE, CUT -> hits(f, earlier.worker()) || hits(f, later.worker());
        case REDIS_CRASH -> true;
        case STOP -> false;
      };
      if (!inWindow || !relevant) {
        continue;
      }
      if (f.kind() == Kind.CUT) {
        cut = cut == null ? f : cut;
      } else if (first == null || f.startMillis() < first.startMillis()) {
        first = f;
      }
    }
    FaultEvent blamed = first != null ? first : cut;
    return blamed == null ? "unexplained" : cause(blamed.kind());
  }

  static String cause(Kind kind) {
    return kind == Kind.REDIS_CRASH ? "redis" : kind.name().toLowerCase();
  }

  /**
   * Whether a fault aimed at {@code f.worker()} hit this worker incarnation: an exact consumer
   * name, or a worker slot ({@code w1}) that hits every incarnation of it ({@code w1-g3}).
   */
  static boolean hits(FaultEvent f, String worker) {
    return !f.worker().isEmpty() && (worker.equals(f.worker()) || worker.startsWith(f.worker() + "-"));
  }

  // ---- latencies -----------------------------------------------------------------------------

  /**
   * The redelivery latency of one fault kind; {@code redisUpSamples} receives the same samples less
   * the time Redis was down in between (nothing can be taken over while Redis is down).
   */
  private static Latency redelivery(Kind kind, List<FaultEvent> faults, Map<String, List<Execution>> byTask,
      Map<String, TaskRecord> records, List<Finding> anomalies, List<Long> redisUpSamples) {
    List<Long> samples = new ArrayList<>();
    for (FaultEvent f : faults) {
      if (f.kind() != kind) {
        continue;
      }
      long t = f.startMillis();
      for (List<Execution> execs : byTask.values()) {
        for (Execution victim : execs) {
          // an execution cut short by a kill has no finish event and ends at the kill
          boolean inFlight = hits(f, victim.worker()) && victim.startMillis() <= t
              && (kind == Kind.KILL ? victim.outcome() == null && victim.endMillis() >= t : victim.endMillis() > t);
          if (!inFlight) {
            continue;
          }
          Optional<Execution> next = execs.stream()
              .filter(x -> x.startMillis() > victim.startMillis() && !x.worker().equals(victim.worker()))
              .min(Comparator.comparingLong(Execution::startMillis));
          if (next.isPresent()) {
            if (next.get().startMillis() >= t) {
              samples.add(next.get().startMillis() - t);
              redisUpSamples.add(next.get().startMillis() - t - redisDownBetween(faults, t, next.get().startMillis()));
            } // else already taken over before this fault (an earlier one hit the same worker)
          } else if (kind == Kind.KILL) {
            TaskRecord r = records.get(victim.taskId());
            String end = r == null ? "no record" : r.state() + (r.deadReason() == null ? "" : " (" + r.deadReason() + ")");
            anomalies.add(new Finding(victim.taskId(), "in flight on " + victim.worker()
                + " when it was killed, never ran again; ended " + end + "; executions: " + describe(execs)));
          }
        }
      }
    }
    return Latency.of(samples);
  }

  /** Milliseconds of [from, to] during which Redis was down (crashed and not answering yet). */
  static long redisDownBetween(List<FaultEvent> faults, long from, long to) {
    long down = 0;
    for (FaultEvent f : faults) {
      if (f.isRedis()) {
        down += Math.max(0, Math.min(to, f.endMillis()) - Math.max(from, f.startMillis()));
      }
    }
    return down;
  }

  private static Latency holderStop(Kind kind, List<Duplicate> duplicates, List<FaultEvent> faults) {
    List<Long> samples = new ArrayList<>();
    for (Duplicate d : duplicates) {
      Execution old = d.partner();
      if (!d.cause().equals(cause(kind)) || old.outcome() == null || !d.reason().startsWith("started while")) {
        continue;
      }
      faults.stream()
          .filter(f -> f.kind() == kind && hits(f, old.worker()) && f.startMillis() <= d.execution().startMillis()
              && f.endMillis() >= old.startMillis())
          .max(Comparator.comparingLong(FaultEvent::startMillis))
          .ifPresent(f -> samples.add(old.endMillis() - f.endMillis()));
    }
    return Latency.of(samples);
  }

  static String describe(List<Execution> execs) {
    if (execs == null || execs.isEmpty()) {
      return "none";
    }
    return String.join(", ", execs.stream().map(Execution::describe).toList());
  }
}
