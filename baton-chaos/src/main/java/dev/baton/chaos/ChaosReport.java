package dev.baton.chaos;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the {@link Checker} found in one run, with the pass criteria and a Markdown rendering.
 *
 * @param title the run's name (scenario, fsync policy)
 * @param settings the run's parameters, in display order (seed, tasks, workers, lease, ...)
 * @param counts every figure of the result table, in display order
 * @param faults faults injected by kind
 * @param redelivery time from a fault hitting a worker to its tasks running again elsewhere, by fault kind
 * @param redeliveryRedisUp the same less the time Redis was down in between: what the lease and the
 *     recoverer account for (F1's bound: lease + recoverer period + 5 s)
 * @param holderStop for executions that ran at the same time as their successor because of a pause
 *     or a freeze: time from the end of the fault (SIGCONT, thaw) to the old holder's handler
 *     ending; negative when it stopped by itself before the fault ended
 * @param duplicates every duplicated execution
 * @param lost accepted tasks that are not terminal and that nothing can run any more, or whose record is gone
 * @param stuck accepted tasks that are not terminal at the deadline but could still run
 * @param staleWrites outcomes in Redis that do not come from the execution that held the task last
 * @param dead dead-lettered tasks and why
 * @param anomalies other things worth a look (unexplained duplicates, tasks never rerun after a kill)
 * @param failures the pass criteria that failed; empty when the run passed
 */
public record ChaosReport(
    String title,
    Map<String, String> settings,
    Map<String, Long> counts,
    Map<FaultEvent.Kind, Integer> faults,
    Map<FaultEvent.Kind, Latency> redelivery,
    Map<FaultEvent.Kind, Latency> redeliveryRedisUp,
    Map<FaultEvent.Kind, Latency> holderStop,
    List<Duplicate> duplicates,
    List<Finding> lost,
    List<Finding> stuck,
    List<Finding> staleWrites,
    List<Finding> dead,
    List<Finding> anomalies,
    List<String> failures) {

  /** A figure of the result table; the keys of {@link #counts()}. */
  public static final String ACCEPTED = "accepted";
  public static final String SUCCEEDED = "succeeded";
  public static final String DEAD = "dead";
  public static final String CANCELLED = "cancelled";
  public static final String LOST = "lost";
  public static final String STUCK = "stuck";
  public static final String EXECUTIONS = "executions (handler starts)";
  public static final String DUPLICATED = "duplicated executions";
  public static final String DUPLICATED_TASKS = "tasks with a duplicated execution";
  public static final String ALLOWANCE = "allowed duplicates";
  public static final String IN_FLIGHT_AT_REDIS_CRASH = "executions in flight at Redis crashes";
  public static final String STALE = "stale writes accepted";
  public static final String UNKNOWN_DELIVERY = "executions with unknown delivery";
  public static final String TORN = "torn history lines";
  public static final String ORPHAN_FINISH = "finish events without a start";

  /** A duplicated execution, the execution it duplicates, and the fault it is blamed on. */
  public record Duplicate(String taskId, String reason, String cause, Execution execution, Execution partner) {}

  /** One task and what is wrong with it. */
  public record Finding(String taskId, String detail) {}

  public boolean passed() {
    return failures.isEmpty();
  }

  public long count(String key) {
    return counts.getOrDefault(key, 0L);
  }

  /** The duplicates per cause (kill, pause, freeze, redis, cut, unexplained). */
  public Map<String, Long> duplicatesByCause() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (Duplicate d : duplicates) {
      m.merge(d.cause(), 1L, Long::sum);
    }
    return m;
  }

  public String toMarkdown() {
    return toMarkdown(200);
  }

  /** The result table, then the listings; each listing shows at most {@code limit} rows, duplicates all. */
  public String toMarkdown(int limit) {
    StringBuilder s = new StringBuilder();
    s.append("## ").append(title).append(passed() ? " — PASSED" : " — FAILED").append("\n\n");
    s.append(settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).reduce((a, b) -> a + ", " + b)
        .orElse("")).append("\n\n");
    s.append("| figure | value |\n|---|---|\n");
    counts.forEach((k, v) -> s.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    s.append("| duplicates by cause | ").append(duplicatesByCause().isEmpty() ? "none" : duplicatesByCause())
        .append(" |\n");
    s.append("| faults injected | ").append(faults).append(" |\n");
    redelivery.forEach((k, v) -> s.append("| redelivery after ").append(k.name().toLowerCase()).append(" | ")
        .append(v.describe()).append(" |\n"));
    redeliveryRedisUp.forEach((k, v) -> s.append("| redelivery after ").append(k.name().toLowerCase())
        .append(", Redis downtime excluded | ").append(v.describe()).append(" |\n"));
    holderStop.forEach((k, v) -> s.append("| old holder stopped after ").append(k.name().toLowerCase())
        .append(" ended | ").append(v.describe()).append(" |\n"));
    s.append('\n');
    if (!failures.isEmpty()) {
      s.append("**Failed:**\n\n");
      failures.forEach(f -> s.append("- ").append(f).append('\n'));
      s.append('\n');
    }
    s.append("### Duplicated executions (").append(duplicates.size()).append(")\n\n");
    if (!duplicates.isEmpty()) {
      s.append("| task | cause | why | execution | duplicates |\n|---|---|---|---|---|\n");
      for (Duplicate d : duplicates) {
        s.append("| ").append(d.taskId()).append(" | ").append(d.cause()).append(" | ").append(d.reason())
            .append(" | ").append(d.execution().describe()).append(" | ").append(d.partner().describe())
            .append(" |\n");
      }
      s.append('\n');
    }
    findings(s, "Lost", lost, limit);
    findings(s, "Stuck", stuck, limit);
    findings(s, "Stale writes accepted", staleWrites, limit);
    findings(s, "Dead-lettered", dead, limit);
    findings(s, "Anomalies", anomalies, limit);
    return s.toString();
  }

  private static void findings(StringBuilder s, String name, List<Finding> list, int limit) {
    s.append("### ").append(name).append(" (").append(list.size()).append(")\n\n");
    if (list.isEmpty()) {
      return;
    }
    List<Finding> shown = list.size() > limit ? list.subList(0, limit) : list;
    for (Finding f : shown) {
      s.append("- `").append(f.taskId()).append("`: ").append(f.detail()).append('\n');
    }
    if (shown.size() < list.size()) {
      s.append("- ... ").append(list.size() - shown.size()).append(" more\n");
    }
    s.append('\n');
  }

}
