package dev.baton.bench;

import dev.baton.BatonConfig;
import dev.baton.testkit.RedisServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code baton bench}: measures Baton against a real Redis and prints one report. See
 * docs/benchmarks.md for the method behind every figure.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Measures Baton against a real Redis: the raw Redis Streams limit, enqueue and end-to-end throughput, "
          + "latency at a fixed arrival rate, Redis and client CPU and commands per task, Redis memory per waiting "
          + "task, and 50 agent types at once.",
      "Without --redis it starts a private redis-server on a free loopback port (no persistence) and stops it at "
          + "the end. With --redis it works under fresh key prefixes and deletes only its own keys; it never "
          + "flushes a Redis it was given, but it does load it: do not point it at production.",
      "The table goes to stdout, progress to stderr. A full run takes several minutes; --quick is a smoke run.",
      "Figures are only comparable between runs on a quiet machine with the same settings."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:every scenario ran",
      "1:a scenario failed (the others are still reported)",
      "2:invalid options",
      "3:no Redis: redis-server is not installed and no --redis is given, or Redis is unreachable"
    })
public final class BenchCommand implements Callable<Integer> {
  /** Scenarios by name, in run order. */
  static final Map<String, Supplier<Scenario>> SCENARIOS = scenarios();
  /** Scenarios that run only when named: they measure client libraries, not Baton. */
  static final Set<String> OPT_IN = Set.of(ClientsCompared.NAME, LayoutV2Prototype.NAME);
  /** What runs without --scenarios. */
  static final List<String> DEFAULT_SCENARIOS =
      SCENARIOS.keySet().stream().filter(name -> !OPT_IN.contains(name)).toList();

  @Option(names = "--redis", paramLabel = "URL",
      description = "Redis to measure, redis://host:port (also accepted before the verb). REDIS_URL is "
          + "deliberately not read: a benchmark loads the server. Default: a private redis-server for this run.")
  String redisUrl;

  @Option(names = "--scenarios", paramLabel = "NAME", split = ",",
      description = "Scenarios to run, comma-separated, from: raw, enqueue, end-to-end, latency, memory, "
          + "many-queues, scripts (default: all of these), and clients (only when named: Redis client options "
          + "compared). Ratios need raw.")
  List<String> scenarios;

  @Option(names = "--quick", description = "A short smoke run (about a minute): small counts, 3 s of latency.")
  boolean quick;

  @Option(names = "--rate", paramLabel = "TASKS_PER_S",
      description = "Arrival rate of the latency scenario (default 1000).")
  Integer rate;

  @Option(names = "--duration", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Measured time of the latency scenario, e.g. 20s, 1m (default 20s; 3s with --quick).")
  Duration duration;

  @Option(names = "--tasks", paramLabel = "N",
      description = "Tasks per enqueue, end-to-end and many-queues case (default 50,000 / 20,000 / 20,000).")
  Integer tasks;

  @Option(names = "--producers", paramLabel = "N",
      description = "Concurrent producers of the multi-producer enqueue case (default 16).")
  Integer producers;

  @Option(names = "--concurrency", paramLabel = "N", split = ",",
      description = "Handler concurrencies of the end-to-end cases, comma-separated (default 1,10,100,1000).")
  List<Integer> concurrencies;

  @Option(names = "--processes", paramLabel = "N", split = ",",
      description = "Worker process counts of the end-to-end cases, comma-separated, each 1 or 2 (default 1,2).")
  List<Integer> processes;

  @Option(names = "--json", description = "Print the report as JSON instead of the table.")
  boolean json;

  @Option(names = "--out", paramLabel = "FILE", description = "Also write the report as JSON to FILE.")
  Path out;

  @Spec CommandSpec spec;

  /** Where to look for redis-server; tests replace it. */
  List<Path> redisSearchPath = RedisServer.defaultSearchPath();

  private static Map<String, Supplier<Scenario>> scenarios() {
    Map<String, Supplier<Scenario>> m = new LinkedHashMap<>();
    m.put(RawCycle.NAME, RawCycle::new);
    m.put(EnqueueThroughput.NAME, EnqueueThroughput::new);
    m.put(EndToEnd.NAME, EndToEnd::new);
    m.put(Latency.NAME, Latency::new);
    m.put(MemoryPerTask.NAME, MemoryPerTask::new);
    m.put(ManyQueues.NAME, ManyQueues::new);
    m.put(HotPathScripts.NAME, HotPathScripts::new);
    m.put(LayoutV2Prototype.NAME, LayoutV2Prototype::new);
    m.put(ClientsCompared.NAME, ClientsCompared::new);
    return m;
  }

  @Override
  public Integer call() {
    Settings settings = validatedSettings();
    List<String> selected = selectedScenarios();
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();

    RedisServer server = null;
    Thread hook = null;
    String uri = redisUrl != null ? redisUrl : redisBeforeTheVerb();
    if (uri == null) {
      Path bin = RedisServer.findBinary(redisSearchPath);
      if (bin == null) {
        err.println("baton bench needs Redis: install redis-server (apt-get install redis-server), or give one with "
            + "--redis redis://host:6379");
        err.flush();
        return 3;
      }
      try {
        server = RedisServer.builder().binary(bin).startTimeout(Duration.ofSeconds(10)).start();
      } catch (IllegalStateException | UncheckedIOException e) {
        err.println("baton bench: could not start " + bin + ": " + e.getMessage());
        err.flush();
        return 3;
      }
      RedisServer s = server;
      hook = new Thread(s::close, "baton-bench-stop-redis");
      Runtime.getRuntime().addShutdownHook(hook); // Ctrl-C: never leave the server behind
      uri = server.uri();
    }
    try {
      return run(uri, server != null, settings, selected, stdout, err);
    } finally {
      if (server != null) {
        server.close();
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // already shutting down
        }
      }
    }
  }

  private int run(String uri, boolean privateServer, Settings settings, List<String> selected, PrintWriter stdout,
      PrintWriter err) {
    BenchRedis redis;
    try {
      redis = new BenchRedis(uri);
    } catch (RuntimeException e) {
      err.println("baton bench: cannot connect to Redis at " + redacted(uri) + ": " + e.getMessage());
      err.flush();
      return 3;
    }
    Report report;
    try (redis) {
      Map<String, Object> env = Environment.collect(new RedisProbe(redis.sync()), uri, privateServer);
      Map<String, Object> settingsMap = settings.toMap();
      settingsMap.put("scenarios", selected);
      report = new Report(env, settingsMap);
      warnAboutLoad(report);
      if (!privateServer) {
        report.warn("Redis was given by --redis: other clients' work counts in its CPU and commands");
      }
      Progress progress = new Progress(err, Progress.onTerminal());
      try (progress; BenchContext ctx = new BenchContext(uri, settings, redis, report, progress)) {
        report.warnings().forEach(w -> progress.note("note: " + w));
        for (String name : selected) {
          try {
            SCENARIOS.get(name).get().run(ctx);
            progress.note("done: " + name);
          } catch (Exception e) {
            if (e instanceof InterruptedException) {
              Thread.currentThread().interrupt();
            }
            report.error(name, e.toString());
            progress.note("FAILED " + name + ": " + e);
          }
        }
      }
    }
    if (out != null) {
      try (PrintWriter file = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8))) {
        report.printJson(file);
      } catch (IOException e) {
        err.println("baton bench: cannot write " + out + ": " + e.getMessage());
        err.flush();
      }
    }
    if (json) {
      report.printJson(stdout);
    } else {
      report.printTable(stdout);
    }
    return report.errors().isEmpty() ? 0 : 1;
  }

  /** {@code baton --redis URL bench}: the root command's global option, when it was given. */
  private String redisBeforeTheVerb() {
    CommandSpec root = spec.root();
    if (root == spec) {
      return null;
    }
    OptionSpec option = root.findOption("--redis");
    Object value = option == null ? null : option.getValue();
    if (value instanceof String url && !url.isBlank()) {
      try {
        BatonConfig.builder().redisUri(url).build();
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--redis: " + e.getMessage());
      }
      return url;
    }
    return null;
  }

  private static void warnAboutLoad(Report report) {
    double load = Environment.loadAverage();
    int cpus = Runtime.getRuntime().availableProcessors();
    if (load > cpus * 0.25) {
      report.warn(String.format(Locale.ROOT, "load average %.2f on %d CPUs at the start: other work competes for "
          + "the CPU, so these figures are not comparable with a run on a quiet machine", load, cpus));
    }
  }

  private Settings validatedSettings() {
    if (rate != null && (rate < 1 || rate > 1_000_000)) {
      throw new ParameterException(spec.commandLine(), "--rate must be in [1, 1000000], got " + rate);
    }
    if (duration != null && (duration.toMillis() < 1000 || duration.toHours() > 24)) {
      throw new ParameterException(spec.commandLine(), "--duration must be in [1s, 24h], got " + duration);
    }
    if (tasks != null && (tasks < 100 || tasks > 100_000_000)) {
      throw new ParameterException(spec.commandLine(), "--tasks must be in [100, 100000000], got " + tasks);
    }
    if (producers != null && (producers < 1 || producers > 10_000)) {
      throw new ParameterException(spec.commandLine(), "--producers must be in [1, 10000], got " + producers);
    }
    if (concurrencies != null && concurrencies.stream().anyMatch(c -> c < 1 || c > 10_000)) {
      throw new ParameterException(spec.commandLine(), "--concurrency values must be in [1, 10000], got "
          + concurrencies);
    }
    if (processes != null && processes.stream().anyMatch(p -> p < 1 || p > 2)) {
      throw new ParameterException(spec.commandLine(), "--processes values must be 1 or 2, got " + processes);
    }
    if (redisUrl != null) {
      try {
        BatonConfig.builder().redisUri(redisUrl).build();
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--redis: " + e.getMessage());
      }
    }
    return (quick ? Settings.quickRun() : Settings.fullRun()).with(tasks, producers, rate, duration)
        .withEndToEnd(concurrencies, processes);
  }

  private List<String> selectedScenarios() {
    if (scenarios == null || scenarios.isEmpty()) {
      return DEFAULT_SCENARIOS;
    }
    List<String> wanted = new ArrayList<>();
    for (String s : scenarios) {
      String name = s.strip().toLowerCase(Locale.ROOT);
      if (!SCENARIOS.containsKey(name)) {
        throw new ParameterException(spec.commandLine(),
            "unknown scenario '" + s + "'; known: " + String.join(", ", SCENARIOS.keySet()));
      }
      wanted.add(name);
    }
    return SCENARIOS.keySet().stream().filter(wanted::contains).toList();
  }

  private static String redacted(String uri) {
    int at = uri.lastIndexOf('@');
    int scheme = uri.indexOf("://");
    return at > 0 && scheme > 0 ? uri.substring(0, scheme + 3) + "***@" + uri.substring(at + 1) : uri;
  }
}
