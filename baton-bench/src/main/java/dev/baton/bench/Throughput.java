package dev.baton.bench;

/** The throughput metrics every throughput row starts with. */
final class Throughput {
  private Throughput() {}

  static void put(Row row, long tasks, long nanos) {
    double seconds = nanos / 1e9;
    row.put("tasks", tasks);
    row.put("seconds", Report.round(seconds, 3));
    row.put("tasksPerSecond", Report.round(tasks / Math.max(seconds, 1e-9), 0));
  }
}
