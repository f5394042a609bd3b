package dev.baton.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * What one {@code baton bench} run measured: the environment, the settings, one {@link Row} per
 * case, and the scenarios that failed. Prints as a readable table or as JSON built from plain maps
 * and lists (no class names), so the JSON shape is exactly what {@link #toMap()} returns.
 */
final class Report {
  /** Scenario keys in run and print order, with their section titles. */
  static final Map<String, String> TITLES = titles();

  private final Map<String, Object> environment;
  private final Map<String, Object> settings;
  private final List<Row> rows = new ArrayList<>();
  private final Map<String, String> errors = new LinkedHashMap<>();
  private final List<String> warnings = new ArrayList<>();

  Report(Map<String, Object> environment, Map<String, Object> settings) {
    this.environment = environment;
    this.settings = settings;
  }

  private static Map<String, String> titles() {
    Map<String, String> t = new LinkedHashMap<>();
    t.put(RawCycle.NAME, "Raw limit: XADD -> XREADGROUP COUNT 100 -> XACK (+ XDEL), pipelined, per client (the "
        + "references of every ratio: raw, raw-jedis-xdel)");
    t.put(EnqueueThroughput.NAME, "Enqueue throughput (no worker running; 100-byte JSON payload)");
    t.put(EndToEnd.NAME, "End-to-end throughput of no-op tasks, first enqueue to last completion");
    t.put(Latency.NAME, "Latency at a fixed arrival rate (open loop; measured from each task's intended send time)");
    t.put(MemoryPerTask.NAME, "Redis memory per waiting task (100-byte JSON payload, no worker)");
    t.put(ManyQueues.NAME, "Many agent types at once (each type has its own stream, reader and handler limit)");
    t.put(HotPathScripts.NAME, "Redis time per task in each hot-path script, one script at a time (no worker)");
    t.put(LayoutV2Prototype.NAME, "The v2 layout's prototype scripts (docs/hot-path-v2.md): Redis time and memory per task");
    t.put(ClientsCompared.NAME, "Redis clients compared on a worker-like hot path: per 100 tasks one EVALSHA "
        + "(100 keys, 100 HGETs), then one HSET per task");
    return t;
  }

  synchronized void add(Row row) {
    rows.add(row);
  }

  synchronized void error(String scenario, String message) {
    errors.put(scenario, message);
  }

  /** Something that makes the figures less trustworthy (a busy machine, a shared Redis). */
  synchronized void warn(String message) {
    warnings.add(message);
  }

  synchronized List<String> warnings() {
    return List.copyOf(warnings);
  }

  synchronized List<Row> rows() {
    return List.copyOf(rows);
  }

  synchronized Map<String, String> errors() {
    return Map.copyOf(errors);
  }

  /** The raw limit in tasks per second (the {@code raw} cycle), or NaN when that scenario did not run. */
  double rawTasksPerSecond() {
    return rawTasksPerSecond(RawCycle.NAME);
  }

  /** The tasks per second of one cycle of the raw scenario (e.g. {@code raw-jedis-xdel}), or NaN. */
  double rawTasksPerSecond(String cycle) {
    return rows().stream()
        .filter(r -> r.scenario().equals(RawCycle.NAME) && cycle.equals(r.metrics().get("cycle")))
        .mapToDouble(r -> r.number("tasksPerSecond")).findFirst().orElse(Double.NaN);
  }

  /** Everything, as maps and lists: the JSON document. */
  Map<String, Object> toMap() {
    Map<String, Double> references = new LinkedHashMap<>();
    references.put("vsRaw", rawTasksPerSecond());
    references.put("vsRawJedisXdel", rawTasksPerSecond(RawCycle.JEDIS_XDEL));
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("environment", environment);
    doc.put("settings", settings);
    Map<String, Object> scenarios = new LinkedHashMap<>();
    for (String name : TITLES.keySet()) {
      List<Map<String, Object>> cases = new ArrayList<>();
      for (Row r : rows()) {
        if (r.scenario().equals(name)) {
          cases.add(withRatios(r, references));
        }
      }
      if (!cases.isEmpty()) {
        scenarios.put(name, cases);
      }
    }
    doc.put("scenarios", scenarios);
    doc.put("warnings", warnings());
    doc.put("errors", errors());
    return doc;
  }

  /**
   * The row's metrics with {@code case} first and, after {@code tasksPerSecond}, its ratio to each
   * raw reference measured in this run ({@code vsRaw}: the {@code raw} cycle; {@code vsRawJedisXdel}:
   * the {@code raw-jedis-xdel} cycle), except the reference's own row. The clients rows get none:
   * their work is not a task's cycle.
   */
  private static Map<String, Object> withRatios(Row r, Map<String, Double> references) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("case", r.label());
    Object cycle = r.metrics().get("cycle");
    boolean ratios = !r.scenario().equals(ClientsCompared.NAME);
    r.metrics().forEach((k, v) -> {
      m.put(k, v);
      if (k.equals("tasksPerSecond") && ratios && v instanceof Number n) {
        references.forEach((key, reference) -> {
          if (reference > 0 && !isReference(r, cycle, key)) {
            m.put(key, round(n.doubleValue() / reference, 3));
          }
        });
      }
    });
    return m;
  }

  private static boolean isReference(Row r, Object cycle, String key) {
    if (!r.scenario().equals(RawCycle.NAME)) {
      return false;
    }
    return (key.equals("vsRaw") ? RawCycle.NAME : RawCycle.JEDIS_XDEL).equals(cycle);
  }

  void printJson(PrintWriter out) {
    JsonMapper mapper = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    out.println(mapper.writeValueAsString(toMap()));
    out.flush();
  }

  void printTable(PrintWriter out) {
    Map<String, Object> doc = toMap();
    out.println("Baton benchmark" + (Boolean.TRUE.equals(settings.get("quick"))
        ? " (--quick: a smoke run; its figures are not results)" : ""));
    printEnvironment(out);
    warnings().forEach(w -> out.println("  note     " + w));
    @SuppressWarnings("unchecked")
    Map<String, List<Map<String, Object>>> scenarios = (Map<String, List<Map<String, Object>>>) doc.get("scenarios");
    scenarios.forEach((name, cases) -> {
      out.println();
      out.println(TITLES.get(name));
      switch (name) {
        case Latency.NAME -> latencyTable(out, cases);
        case MemoryPerTask.NAME -> memoryTable(out, cases);
        case HotPathScripts.NAME -> scriptsTable(out, cases);
        case LayoutV2Prototype.NAME -> layoutTable(out, cases);
        default -> throughputTable(out, cases);
      }
      commandBreakdown(out, cases);
    });
    errors().forEach((name, message) -> {
      out.println();
      out.println("FAILED " + name + ": " + message);
    });
    out.flush();
  }

  private void printEnvironment(PrintWriter out) {
    environment.forEach((k, v) -> {
      String text = v instanceof Map<?, ?> m ? describe(m) : String.valueOf(v);
      out.printf(Locale.ROOT, "  %-8s %s%n", k, text);
    });
  }

  private static String describe(Map<?, ?> m) {
    StringBuilder b = new StringBuilder();
    m.forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append(' ').append(v));
    return b.toString();
  }

  private static void throughputTable(PrintWriter out, List<Map<String, Object>> cases) {
    boolean ratio = cases.stream().anyMatch(c -> c.containsKey("vsRaw"));
    boolean jedisRatio = cases.stream().anyMatch(c -> c.containsKey("vsRawJedisXdel"));
    boolean oneType = cases.stream().anyMatch(c -> c.containsKey("vsOneType"));
    List<String> header = new ArrayList<>(List.of("CASE", "TASKS", "SECONDS", "TASKS/S"));
    if (ratio) {
      header.add("VS RAW");
    }
    if (jedisRatio) {
      header.add("VS JEDIS+XDEL");
    }
    if (oneType) {
      header.add("VS 1 TYPE");
    }
    header.addAll(List.of("REDIS CPU us/TASK", "CLIENT CPU us/TASK", "REDIS CMDS/TASK", "REDIS CORES",
        "CLIENT CORES"));
    Table t = new Table(header.toArray(String[]::new));
    for (Map<String, Object> c : cases) {
      List<Object> cells = new ArrayList<>(List.of(c.get("case"), integer(c.get("tasks")), fixed(c.get("seconds"), 2),
          integer(c.get("tasksPerSecond"))));
      if (ratio) {
        cells.add(c.containsKey("vsRaw") ? fixed(c.get("vsRaw"), 2) + "x" : "");
      }
      if (jedisRatio) {
        cells.add(c.containsKey("vsRawJedisXdel") ? fixed(c.get("vsRawJedisXdel"), 2) + "x" : "");
      }
      if (oneType) {
        cells.add(c.containsKey("vsOneType") ? fixed(c.get("vsOneType"), 2) + "x" : "");
      }
      cells.addAll(List.of(fixed(c.get("redisCpuMicrosPerTask"), 1), fixed(c.get("clientCpuMicrosPerTask"), 1),
          fixed(c.get("redisCommandsPerTask"), 2), fixed(c.get("redisCpuCores"), 2), fixed(c.get("clientCpuCores"), 2)));
      t.row(cells.toArray());
    }
    t.print(out, "  ");
  }

  private static void latencyTable(PrintWriter out, List<Map<String, Object>> cases) {
    Table t = new Table("CASE", "MEASURE", "TASKS", "P50 ms", "P95 ms", "P99 ms", "MAX ms");
    for (Map<String, Object> c : cases) {
      String label = String.valueOf(c.get("case"));
      for (String[] m : new String[][] {
        {"enqueueMillis", "send -> enqueued"}, {"startMillis", "send -> start"}, {"finishMillis", "send -> finish"}
      }) {
        if (c.get(m[0]) instanceof Map<?, ?> p) {
          t.row(label, m[1], integer(p.get("count")), fixed(p.get("p50"), 2), fixed(p.get("p95"), 2),
              fixed(p.get("p99"), 2), fixed(p.get("max"), 2));
          label = "";
        }
      }
    }
    t.print(out, "  ");
    for (Map<String, Object> c : cases) {
      out.printf(Locale.ROOT, "  %s: sent %s of %s at %s/s, %s unfinished, %s failed enqueues; generator late by "
              + "p99 %s ms, max %s ms; Redis CPU %s us/task, client CPU %s us/task, %s Redis commands/task%n",
          c.get("case"), integer(c.get("sent")), integer(c.get("planned")), integer(c.get("achievedRate")),
          integer(c.get("unfinished")), integer(c.get("failedEnqueues")), fixed(c.get("generatorLateP99Millis"), 2),
          fixed(c.get("generatorLateMaxMillis"), 2), fixed(c.get("redisCpuMicrosPerTask"), 1),
          fixed(c.get("clientCpuMicrosPerTask"), 1), fixed(c.get("redisCommandsPerTask"), 2));
    }
  }

  private static void memoryTable(PrintWriter out, List<Map<String, Object>> cases) {
    Table t = new Table("CASE", "TASKS", "BYTES/TASK", "ONE RECORD", "ENCODING", "STREAM/ENTRY", "USED BEFORE",
        "USED AFTER");
    for (Map<String, Object> c : cases) {
      t.row(c.get("case"), integer(c.get("tasks")), integer(c.get("bytesPerTask")), integer(c.get("taskRecordBytes")),
          c.get("taskRecordEncoding"), integer(c.get("streamBytesPerEntry")), integer(c.get("usedMemoryBefore")),
          integer(c.get("usedMemoryAfter")));
    }
    t.print(out, "  ");
  }

  private static void scriptsTable(PrintWriter out, List<Map<String, Object>> cases) {
    Table t = new Table("CASE", "TASKS", "SCRIPT us/TASK", "ITS COMMANDS us/TASK", "LUA AND CALLS us/TASK",
        "REDIS CPU us/TASK", "REDIS CMDS/TASK");
    for (Map<String, Object> c : cases) {
      t.row(c.get("case"), integer(c.get("tasks")), fixed(c.get("scriptMicrosPerTask"), 2),
          fixed(c.get("commandMicrosPerTask"), 2), fixed(c.get("luaMicrosPerTask"), 2),
          fixed(c.get("redisCpuMicrosPerTask"), 1), fixed(c.get("redisCommandsPerTask"), 2));
    }
    t.print(out, "  ");
  }

  private static void layoutTable(PrintWriter out, List<Map<String, Object>> cases) {
    Table t = new Table("CASE", "TASKS", "SCRIPT us/TASK", "LUA AND CALLS us/TASK", "REDIS CPU us/TASK",
        "REDIS CMDS/TASK", "B/WAITING TASK", "B/FINISHED TASK");
    for (Map<String, Object> c : cases) {
      t.row(c.get("case"), integer(c.get("tasks")), fixed(c.get("scriptMicrosPerTask"), 2),
          fixed(c.get("luaMicrosPerTask"), 2), fixed(c.get("redisCpuMicrosPerTask"), 1),
          fixed(c.get("redisCommandsPerTask"), 2), integer(c.get("bytesPerWaitingTask")),
          integer(c.get("bytesPerFinishedTask")));
    }
    t.print(out, "  ");
  }

  /**
   * The commands behind "REDIS CMDS/TASK", most frequent first (calls inside scripts included), then
   * Redis's time per task by command.
   */
  private static void commandBreakdown(PrintWriter out, List<Map<String, Object>> cases) {
    breakdown(out, cases, "commandsPerTask",
        "Redis commands per task (INFO commandstats; calls made inside Lua scripts included):", 0.005, 2);
    breakdown(out, cases, "redisMicrosPerTaskByCommand",
        "Redis us per task by command (INFO commandstats usec; a script call's (evalsha) include the commands it ran):",
        0.05, 1);
  }

  /** One line per case listing the map {@code key} (name and value), under {@code title}. */
  private static void breakdown(PrintWriter out, List<Map<String, Object>> cases, String key, String title,
      double smallest, int digits) {
    boolean any = false;
    for (Map<String, Object> c : cases) {
      if (!(c.get(key) instanceof Map<?, ?> byName) || byName.isEmpty()) {
        continue;
      }
      if (!any) {
        out.println("  " + title);
        any = true;
      }
      StringBuilder line = new StringBuilder();
      for (Map.Entry<?, ?> e : byName.entrySet()) {
        if (e.getValue() instanceof Number n && n.doubleValue() >= smallest) {
          line.append(line.isEmpty() ? "" : ", ").append(e.getKey()).append(' ').append(fixed(n, digits));
        }
      }
      out.println("    " + c.get("case") + ": " + line);
    }
  }

  static double round(double v, int digits) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return 0;
    }
    double scale = Math.pow(10, digits);
    return Math.round(v * scale) / scale;
  }

  static String integer(Object v) {
    return v instanceof Number n ? String.format(Locale.ROOT, "%,d", Math.round(n.doubleValue())) : "-";
  }

  static String fixed(Object v, int digits) {
    return v instanceof Number n ? String.format(Locale.ROOT, "%,." + digits + "f", n.doubleValue()) : "-";
  }
}
