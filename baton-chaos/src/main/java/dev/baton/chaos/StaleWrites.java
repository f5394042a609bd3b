package dev.baton.chaos;

import dev.baton.chaos.ChaosReport.Finding;
import dev.baton.chaos.HistoryEvent.Outcome;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The checker's stale-write test for one task: every outcome Redis stored must come from the
 * execution that held the task when it was written. A stored result must name the record's
 * current delivery and an execution that finished ok; the record's last attempt record must be the
 * result's; and neither a result nor a recorded failure may come from an execution that a later
 * delivery had started before it finished (its write would have been fenced off).
 */
final class StaleWrites {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private StaleWrites() {}

  static void check(TaskRecord r, List<Execution> execs, List<Finding> out) {
    List<String> problems = new ArrayList<>();
    if (r.state().equals("succeeded")) {
      resultProblems(r, execs, problems);
    }
    for (TaskRecord.Attempt a : r.history()) {
      if (a.succeeded()) {
        continue;
      }
      Optional<Execution> e = execs.stream()
          .filter(x -> x.worker().equals(a.worker()) && x.attempt() == a.attempt()
              && x.outcome() == Outcome.ERROR && x.endMillis() <= a.finishedMillis())
          .max(Comparator.comparingLong(Execution::endMillis));
      if (e.isEmpty()) {
        problems.add("failure of attempt " + a.attempt() + " by " + a.worker() + " recorded, but no such execution"
            + " failed");
      } else {
        superseded(e.get(), execs, "failure", problems);
      }
    }
    if (!problems.isEmpty()) {
      out.add(new Finding(r.id(), String.join("; ", problems) + " (record: state " + r.state() + ", dlv "
          + r.deliveries() + ", att " + r.attempts() + ", r " + r.resultJson() + "; executions: " + Checker.describe(execs)
          + ")"));
    }
  }

  private static void resultProblems(TaskRecord r, List<Execution> execs, List<String> problems) {
    String w;
    long d;
    int a;
    try {
      JsonNode n = JSON.readTree(r.resultJson());
      w = n.path("w").asString();
      d = n.path("d").asLong(-1);
      a = n.path("a").asInt(-1);
    } catch (RuntimeException e) {
      problems.add("result is not a chaos handler's result");
      return;
    }
    if (w == null || w.isEmpty()) {
      problems.add("result names no worker");
      return;
    }
    if (d >= 0 && r.deliveries() >= 0 && d != r.deliveries()) { // layout 2 keeps no counter for a finished task
      problems.add("result comes from delivery " + d + " but the record is at delivery " + r.deliveries());
    }
    long delivery = d;
    Optional<Execution> source = execs.stream()
        .filter(x -> x.worker().equals(w) && x.attempt() == a && x.delivery() == delivery && x.finishedOk())
        .max(Comparator.comparingLong(Execution::endMillis));
    if (source.isEmpty()) {
      problems.add("result of " + w + " delivery " + d + " attempt " + a + " matches no execution that finished ok");
    } else {
      superseded(source.get(), execs, "result", problems);
    }
    if (r.history().isEmpty()) {
      problems.add("succeeded with no attempt record");
    } else {
      TaskRecord.Attempt last = r.history().get(r.history().size() - 1);
      // layout 2 records no worker for the attempt that succeeded (its finished value leaves the
      // field empty): then only the attempt number can be compared
      boolean workerDiffers = !last.worker().isEmpty() && !last.worker().equals(w);
      if (!last.succeeded() || workerDiffers || last.attempt() != a) {
        problems.add("the last attempt record (" + last.worker() + " attempt " + last.attempt()
            + (last.succeeded() ? " ok" : " failed") + ") is not the result's");
      }
    }
  }

  /**
   * A later delivery started before this execution had even finished: its write must have been
   * refused. An execution whose delivery is unknown is never the later one: its handler found the
   * record held by someone else (or could not read it), so it proves nothing about the order.
   */
  private static void superseded(Execution source, List<Execution> execs, String what, List<String> problems) {
    for (Execution other : execs) {
      if (other == source || other.delivery() < 0) {
        continue;
      }
      boolean later = source.delivery() >= 0
          ? other.delivery() > source.delivery()
          : other.startMillis() > source.startMillis();
      if (later && other.startMillis() < source.endMillis()) {
        problems.add(what + " of " + source.describe() + " was stored although " + other.describe()
            + " had started before it finished");
        return;
      }
    }
  }

}
