package dev.baton.bench;

import io.lettuce.core.api.sync.RedisCommands;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads Redis's own counters: {@code INFO cpu} (CPU seconds of the server process),
 * {@code INFO commandstats} (calls per command, including commands run inside Lua scripts) and
 * {@code INFO memory}. Costs are differences of two snapshots, so nothing is reset on the server.
 */
final class RedisProbe {
  /** Commands the harness itself sends to read counters; left out of per-task counts. */
  static final Set<String> PROBE_COMMANDS = Set.of("info", "memory|usage", "scan", "unlink", "ping");

  private final RedisCommands<String, String> redis;

  RedisProbe(RedisCommands<String, String> redis) {
    this.redis = redis;
  }

  /**
   * CPU seconds, command calls and microseconds spent per command (commandstats {@code usec}) of the
   * server so far.
   */
  record Snapshot(double cpuSeconds, Map<String, Long> calls, Map<String, Long> micros) {
    /** What happened between {@code before} and this snapshot, without the probe's own commands. */
    Delta since(Snapshot before) {
      Map<String, Long> diff = new HashMap<>();
      Map<String, Long> microsDiff = new HashMap<>();
      calls.forEach((cmd, n) -> {
        long d = n - before.calls.getOrDefault(cmd, 0L);
        if (d > 0 && !PROBE_COMMANDS.contains(cmd)) {
          diff.put(cmd, d);
          microsDiff.put(cmd, Math.max(0, micros.getOrDefault(cmd, 0L) - before.micros.getOrDefault(cmd, 0L)));
        }
      });
      return new Delta(Math.max(0, cpuSeconds - before.cpuSeconds), diff, microsDiff);
    }
  }

  /**
   * Server CPU seconds, command calls and microseconds per command in a window. A script call's
   * microseconds include those of the commands it ran, which are also counted under their own names.
   */
  record Delta(double cpuSeconds, Map<String, Long> calls, Map<String, Long> micros) {
    long totalCalls() {
      return calls.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  Snapshot snapshot() {
    Map<String, String> cpu = parseInfo(redis.info("cpu"));
    Map<String, String> stats = parseInfo(redis.info("commandstats"));
    return new Snapshot(cpuSeconds(cpu), commandField(stats, "calls="), commandField(stats, "usec="));
  }

  long usedMemory() {
    return Long.parseLong(parseInfo(redis.info("memory")).getOrDefault("used_memory", "0"));
  }

  /** The {@code INFO server} fields (redis_version, os, ...). */
  Map<String, String> server() {
    return parseInfo(redis.info("server"));
  }

  /** {@code key:value} lines of an INFO reply; section headers and blank lines are skipped. */
  static Map<String, String> parseInfo(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : text.split("\r?\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon > 0) {
        out.put(line.substring(0, colon), line.substring(colon + 1).strip());
      }
    }
    return out;
  }

  /** User plus system CPU seconds of the whole server process (all its threads). */
  static double cpuSeconds(Map<String, String> cpuInfo) {
    return Double.parseDouble(cpuInfo.getOrDefault("used_cpu_user", "0"))
        + Double.parseDouble(cpuInfo.getOrDefault("used_cpu_sys", "0"));
  }

  /**
   * Calls per command from {@code cmdstat_<name>:calls=N,usec=...} lines; the name is lower case,
   * with subcommands as {@code client|id}.
   */
  static Map<String, Long> commandCalls(Map<String, String> commandStats) {
    return commandField(commandStats, "calls=");
  }

  /** Microseconds per command from the same lines' {@code usec=N}. */
  static Map<String, Long> commandMicros(Map<String, String> commandStats) {
    return commandField(commandStats, "usec=");
  }

  private static Map<String, Long> commandField(Map<String, String> commandStats, String field) {
    Map<String, Long> out = new HashMap<>();
    commandStats.forEach((key, value) -> {
      if (!key.startsWith("cmdstat_")) {
        return;
      }
      for (String part : value.split(",")) {
        if (part.startsWith(field)) {
          out.put(key.substring("cmdstat_".length()).toLowerCase(java.util.Locale.ROOT),
              Long.parseLong(part.substring(field.length())));
        }
      }
    });
    return out;
  }
}
