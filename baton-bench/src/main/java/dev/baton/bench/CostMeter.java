package dev.baton.bench;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Measures what a window of work cost: Redis CPU (INFO cpu), client CPU (this JVM plus any worker
 * processes it started) and Redis commands (INFO commandstats). Start a window before the work and
 * {@link Window#stop(long)} it after, with the number of tasks it did.
 */
final class CostMeter {
  private final RedisProbe probe;

  CostMeter(RedisProbe probe) {
    this.probe = probe;
  }

  /**
   * Opens a window. {@code otherClients} gives the CPU time used so far by other client processes
   * (e.g. a second worker JVM), read at the start and at the end.
   */
  Window start(List<Supplier<Duration>> otherClients) {
    return new Window(probe.snapshot(), clientCpuNanos(otherClients), otherClients);
  }

  Window start() {
    return start(List.of());
  }

  /**
   * The cost of a window, per task. {@code redisCpuCores} and {@code clientCpuCores} are CPU seconds
   * per second of the window: a Redis near 1.0 is saturated (it runs commands on one thread).
   */
  record Cost(double redisCpuMicrosPerTask, double clientCpuMicrosPerTask, double commandsPerTask,
      Map<String, Double> commandsPerTaskByName, Map<String, Double> redisMicrosPerTaskByName,
      double redisCpuCores, double clientCpuCores) {

    /** Metrics for the report, in a fixed order. */
    void putInto(Map<String, Object> metrics) {
      metrics.put("redisCpuMicrosPerTask", Report.round(redisCpuMicrosPerTask, 1));
      metrics.put("clientCpuMicrosPerTask", Report.round(clientCpuMicrosPerTask, 1));
      metrics.put("redisCommandsPerTask", Report.round(commandsPerTask, 2));
      metrics.put("redisCpuCores", Report.round(redisCpuCores, 2));
      metrics.put("clientCpuCores", Report.round(clientCpuCores, 2));
      Map<String, Object> byName = new LinkedHashMap<>();
      commandsPerTaskByName.forEach((k, v) -> byName.put(k, Report.round(v, 3)));
      metrics.put("commandsPerTask", byName);
      Map<String, Object> micros = new LinkedHashMap<>();
      redisMicrosPerTaskByName.forEach((k, v) -> micros.put(k, Report.round(v, 2)));
      metrics.put("redisMicrosPerTaskByCommand", micros);
    }
  }

  final class Window {
    private final RedisProbe.Snapshot redisBefore;
    private final long clientBefore;
    private final List<Supplier<Duration>> otherClients;
    private final long startNanos = System.nanoTime();

    private Window(RedisProbe.Snapshot redisBefore, long clientBefore, List<Supplier<Duration>> otherClients) {
      this.redisBefore = redisBefore;
      this.clientBefore = clientBefore;
      this.otherClients = otherClients;
    }

    Cost stop(long tasks) {
      long clientAfter = clientCpuNanos(otherClients);
      RedisProbe.Delta d = probe.snapshot().since(redisBefore);
      double wallSeconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
      double n = Math.max(1, tasks);
      Map<String, Double> perTask = perTaskLargestFirst(d.calls(), n);
      Map<String, Double> microsPerTask = perTaskLargestFirst(d.micros(), n);
      double clientSeconds = (clientAfter - clientBefore) / 1e9;
      return new Cost(d.cpuSeconds() * 1e6 / n, clientSeconds * 1e6 / n, d.totalCalls() / n, perTask, microsPerTask,
          d.cpuSeconds() / wallSeconds, clientSeconds / wallSeconds);
    }
  }

  /** Each count divided by {@code tasks}, largest first (ties by name). */
  static Map<String, Double> perTaskLargestFirst(Map<String, Long> counts, double tasks) {
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(counts.entrySet());
    sorted.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
        .thenComparing(Map.Entry.comparingByKey()));
    Map<String, Double> perTask = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : sorted) {
      perTask.put(e.getKey(), e.getValue() / tasks);
    }
    return perTask;
  }

  /** CPU nanoseconds used so far by this JVM and the given other processes. */
  static long clientCpuNanos(List<Supplier<Duration>> otherClients) {
    long own = ownCpuNanos();
    for (Supplier<Duration> other : otherClients) {
      own += other.get().toNanos();
    }
    return own;
  }

  static long ownCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return Math.max(0, os.getProcessCpuTime());
    }
    return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }
}
