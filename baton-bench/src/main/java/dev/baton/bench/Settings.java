package dev.baton.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How big each scenario is. {@link #full} is the published run; {@link #quick} a smoke run of a
 * few seconds per scenario, whose figures only show that everything works.
 *
 * @param rawMessages entries through the raw cycle
 * @param enqueueTasks tasks per enqueue case
 * @param producers concurrent producers in the "N producers" enqueue case
 * @param bulkBatch tasks per {@code enqueueAll} call
 * @param e2eTasks tasks per end-to-end case (after a warm-up of a tenth as many)
 * @param concurrencies handler concurrency per worker process in the end-to-end cases
 * @param processes worker process counts in the end-to-end cases
 * @param rate latency arrival rate, tasks per second
 * @param duration latency measuring time (after {@code warmup})
 * @param warmup latency warm-up at the same rate, not recorded
 * @param latencyConcurrency handler concurrency of the latency worker
 * @param memoryTasks waiting tasks for the memory scenario
 * @param agentTypes agent types in the many-queues scenario
 * @param manyQueuesTasks tasks per many-queues case
 * @param manyQueuesConcurrency handler concurrency per agent type in the many-queues scenario
 * @param clientsTasks tasks per client option in the clients scenario
 */
record Settings(
    boolean quick,
    int rawMessages,
    int enqueueTasks,
    int producers,
    int bulkBatch,
    int e2eTasks,
    List<Integer> concurrencies,
    List<Integer> processes,
    int rate,
    Duration duration,
    Duration warmup,
    int latencyConcurrency,
    int memoryTasks,
    int agentTypes,
    int manyQueuesTasks,
    int manyQueuesConcurrency,
    int clientsTasks) {

  static final int PAYLOAD_BYTES = 100;

  static Settings fullRun() {
    return new Settings(false, 500_000, 50_000, 16, 1_000, 20_000, List.of(1, 10, 100, 1_000), List.of(1, 2), 1_000,
        Duration.ofSeconds(20), Duration.ofSeconds(5), 10, 100_000, 50, 20_000, 10, 200_000);
  }

  static Settings quickRun() {
    return new Settings(true, 20_000, 2_000, 16, 1_000, 1_000, List.of(1, 10, 100, 1_000), List.of(1, 2), 1_000,
        Duration.ofSeconds(3), Duration.ofSeconds(1), 10, 10_000, 50, 2_000, 10, 5_000);
  }

  /** These settings with the command line's overrides (null = keep). */
  Settings with(Integer tasks, Integer producers, Integer rate, Duration duration) {
    int t = tasks == null ? -1 : tasks;
    return new Settings(quick, rawMessages, t > 0 ? t : enqueueTasks, producers != null ? producers : this.producers,
        bulkBatch, t > 0 ? t : e2eTasks, concurrencies, processes, rate != null ? rate : this.rate,
        duration != null ? duration : this.duration, warmup, latencyConcurrency, memoryTasks, agentTypes,
        t > 0 ? t : manyQueuesTasks, manyQueuesConcurrency, clientsTasks);
  }

  /** These settings with other end-to-end concurrencies and process counts (null or empty = keep). */
  Settings withEndToEnd(List<Integer> concurrencies, List<Integer> processes) {
    return new Settings(quick, rawMessages, enqueueTasks, producers, bulkBatch, e2eTasks,
        concurrencies == null || concurrencies.isEmpty() ? this.concurrencies : List.copyOf(concurrencies),
        processes == null || processes.isEmpty() ? this.processes : List.copyOf(processes), rate, duration, warmup,
        latencyConcurrency, memoryTasks, agentTypes, manyQueuesTasks, manyQueuesConcurrency, clientsTasks);
  }

  /** Warm-up tasks before a measured end-to-end case. */
  int e2eWarmup() {
    return Math.max(100, e2eTasks / 10);
  }

  /** How long to wait for the last completion of {@code tasks} before giving up on a case. */
  Duration completionTimeout(long tasks) {
    return Duration.ofSeconds(30).plusMillis(tasks * 5);
  }

  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("quick", quick);
    m.put("payloadBytes", PAYLOAD_BYTES);
    m.put("rawMessages", rawMessages);
    m.put("enqueueTasks", enqueueTasks);
    m.put("producers", producers);
    m.put("bulkBatch", bulkBatch);
    m.put("endToEndTasks", e2eTasks);
    m.put("endToEndWarmupTasks", e2eWarmup());
    m.put("concurrencies", concurrencies);
    m.put("workerProcesses", processes);
    m.put("latencyRatePerSecond", rate);
    m.put("latencySeconds", duration.toMillis() / 1000.0);
    m.put("latencyWarmupSeconds", warmup.toMillis() / 1000.0);
    m.put("latencyConcurrency", latencyConcurrency);
    m.put("memoryTasks", memoryTasks);
    m.put("agentTypes", agentTypes);
    m.put("manyQueuesTasks", manyQueuesTasks);
    m.put("manyQueuesConcurrency", manyQueuesConcurrency);
    m.put("clientsTasks", clientsTasks);
    return m;
  }
}
