package dev.baton.cli.demo;

import ch.qos.logback.classic.Level;
import dev.baton.BatonClient;
import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerInfo;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.BreakerTransition;
import dev.baton.BatonConfig;
import dev.baton.BatonException;
import dev.baton.Inspector;
import dev.baton.QueueStats;
import dev.baton.TaskInfo;
import dev.baton.TaskRequest;
import dev.baton.TaskState;
import dev.baton.Worker;
import dev.baton.testkit.RedisServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code baton demo}: a small multi-agent pipeline that needs nothing set up. A planner fans out
 * researcher tasks against a deliberately flaky local HTTP service, waits for them, and hands the
 * findings to a writer. Retries, timeouts and one dead letter happen on the way, and are printed
 * as they happen.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs a small multi-agent pipeline on Baton, with nothing to set up:",
      "a planner fans out researcher tasks to a deliberately flaky local HTTP service (503s, 429s, "
          + "slow answers that time out), waits for all of them, and hands the findings to a writer.",
      "One topic is poisoned: its task exhausts its attempts and lands in the dead-letter queue.",
      "Without --redis or REDIS_URL it starts a private redis-server for the run and stops it at the end."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the pipeline completed as designed (answer written, only the poisoned topic dead-lettered)",
      "1:it did not, or did not finish within --timeout",
      "2:invalid options",
      "3:no Redis: redis-server is not installed and no --redis/REDIS_URL is given, or Redis is unreachable"
    })
public final class DemoCommand implements Callable<Integer> {
  static final String DEFAULT_QUESTION = "How does Baton make sure a task is never lost?";

  @Option(names = "--redis", paramLabel = "URL", defaultValue = "${env:REDIS_URL}",
      description = "Redis to use (default: $REDIS_URL; if unset, a private redis-server on a free port)")
  String redisUrl;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "8",
      description = "Seed of the flaky service: the same seed fails the same calls. The default, ${DEFAULT-VALUE}, "
          + "shows a 503, a 429 and a timeout; other seeds may also exhaust a healthy topic's attempts.")
  long seed;

  @Option(names = "--failure-rate", paramLabel = "P", defaultValue = "0.4",
      description = "Fraction of calls the flaky service fails, 0..1 (default: ${DEFAULT-VALUE})")
  double failureRate;

  @Option(names = "--outage", paramLabel = "DURATION", defaultValue = "3s", converter = DurationConverter.class,
      description = "How long the facts service is down (529) from its first call; its circuit breaker opens, "
          + "researcher tasks wait parked without using attempts, and the breaker closes once it is back. "
          + "0s for no outage (default: ${DEFAULT-VALUE})")
  Duration outage;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
      description = "Give up when the whole demo takes longer, e.g. 60s, 2m, 1500ms (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--question", paramLabel = "TEXT", defaultValue = DEFAULT_QUESTION,
      description = "The question for the planner (default: \"${DEFAULT-VALUE}\")")
  String question;

  @Option(names = "--verbose", description = "Also show the logs of Baton and the Redis client")
  boolean verbose;

  @Spec CommandSpec spec;

  /** Where to look for redis-server; tests replace it. */
  List<Path> redisSearchPath = RedisServer.defaultSearchPath();

  @Override
  public Integer call() {
    if (!(failureRate >= 0 && failureRate <= 1)) {
      throw new ParameterException(spec.commandLine(), "--failure-rate must be in [0, 1], got " + failureRate);
    }
    boolean privateRedis = redisUrl == null || redisUrl.isBlank();
    if (!privateRedis) {
      try {
        BatonConfig.builder().redisUri(redisUrl).build();
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--redis/REDIS_URL: " + e.getMessage());
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path bin = privateRedis ? RedisServer.findBinary(redisSearchPath) : null;
    if (privateRedis && bin == null) {
      err.println("baton demo needs Redis: install redis-server (apt-get install redis-server), "
          + "or point it at one with REDIS_URL=redis://host:6379 or --redis URL");
      err.flush();
      return 3;
    }
    long start = System.nanoTime();
    Deque<AutoCloseable> cleanup = new ArrayDeque<>();
    Map<String, Level> logLevels = verbose ? Map.of() : quietLogs();
    try {
      out.println("Baton demo: a planner fans out " + DemoAgents.TOPICS.size() + " researcher tasks to a flaky "
          + "facts service, waits for them all, and a writer assembles the answer.");
      out.println();
      out.flush();
      String uri = redisUrl;
      if (privateRedis) {
        RedisServer redis;
        try {
          redis = RedisServer.builder().binary(bin).startTimeout(Duration.ofSeconds(10)).start();
        } catch (IllegalStateException | UncheckedIOException e) {
          err.println("baton demo: could not start " + bin + ": " + e.getMessage());
          err.flush();
          return 3;
        }
        Thread hook = new Thread(redis::close, "baton-demo-stop-redis");
        Runtime.getRuntime().addShutdownHook(hook); // Ctrl-C: never leave the server behind
        cleanup.push(() -> {
          redis.close();
          removeShutdownHook(hook);
        });
        uri = redis.uri();
      }
      String runId = HexFormat.of().toHexDigits(new SecureRandom().nextInt());
      String prefix = "demo-" + runId;
      BatonClient client;
      try {
        client = BatonClient.connect(
            BatonConfig.builder().redisUri(uri).keyPrefix(prefix).retention(Duration.ofDays(1)).build());
      } catch (BatonException e) {
        err.println("baton demo: " + e.getMessage());
        err.flush();
        return 3;
      }
      cleanup.push(client);
      ProgressPrinter.line(out, start, "setup", "redis", (privateRedis ? "private redis-server at " : "") + uri
          + ", key prefix " + prefix);
      return run(out, client, uri, privateRedis, "plan-" + runId, start, cleanup);
    } finally {
      closeAll(cleanup, err);
      restoreLogs(logLevels);
      out.flush();
    }
  }

  private int run(PrintWriter out, BatonClient client, String uri, boolean privateRedis, String plannerId,
      long start, Deque<AutoCloseable> cleanup) {
    long deadline = start + timeout.toNanos();
    FlakyFactsService facts = new FlakyFactsService(seed, failureRate,
        DemoAgents.RESEARCH_TIMEOUT.plusSeconds(1), outage);
    cleanup.push(facts);
    try {
      facts.start();
    } catch (IOException e) {
      out.println("baton demo: cannot start the local facts service: " + e.getMessage());
      return 1;
    }
    ProgressPrinter progress = new ProgressPrinter(out, client.inspector(), start);
    DemoAgents agents = new DemoAgents(client, facts.baseUri(), progress);
    cleanup.push(agents);
    Worker worker = agents.register(Worker.builder(client), timeout)
        .random(new Random(seed)::nextDouble)
        .promoteInterval(Duration.ofMillis(100))
        .shutdownGrace(Duration.ofSeconds(2))
        .build();

    ProgressPrinter.line(out, start, "setup", "facts service", String.format(Locale.ROOT,
        "%s/facts?topic=T, seed %d: ~%.0f%% of calls fail (503, 429, too slow); '%s' always fails (500)",
        facts.baseUri(), seed, failureRate * 100, FlakyFactsService.POISONED_TOPIC));
    if (!outage.isZero()) {
      BreakerConfig b = DemoAgents.FACTS_BREAKER;
      ProgressPrinter.line(out, start, "setup", "outage", String.format(Locale.ROOT,
          "the facts service is down (529) for %s from its first call; breaker '%s' opens when %.0f%% of "
              + "at least %d of the last %d calls fail, waits %s, then lets %d probe through",
          ProgressPrinter.formatSeconds(outage.toMillis() / 1e3), DemoAgents.FACTS_SERVICE,
          b.failureRateThreshold(), b.minimumCalls(), b.windowSize(),
          ProgressPrinter.formatSeconds(b.waitInOpen().toMillis() / 1e3), b.permittedProbes()));
    }
    worker.start();
    ProgressPrinter.line(out, start, "setup", "worker", String.format(Locale.ROOT,
        "serves %s; a researcher task has %d attempts, timeout %dms, backoff %dms x%.0f up to %dms",
        worker.agentTypes(), DemoAgents.RESEARCH_ATTEMPTS, DemoAgents.RESEARCH_TIMEOUT.toMillis(),
        DemoAgents.RESEARCH_BACKOFF.base().toMillis(), DemoAgents.RESEARCH_BACKOFF.multiplier(),
        DemoAgents.RESEARCH_BACKOFF.cap().toMillis()));
    cleanup.push(() -> worker.shutdown(Duration.ofSeconds(2)));
    progress.watchBreaker(DemoAgents.FACTS_SERVICE);
    progress.start();
    cleanup.push(progress);

    progress.track(DemoAgents.PLANNER, plannerId, "");
    client.dispatcher().enqueue(TaskRequest.builder(DemoAgents.PLANNER)
        .id(plannerId)
        .payload(new DemoAgents.Question(question), client.codec())
        .maxAttempts(2)
        .build());

    TaskInfo writer = null;
    String failure = null;
    try {
      TaskInfo planner = client.dispatcher().awaitResult(plannerId, remaining(deadline));
      if (planner.state() != TaskState.SUCCEEDED) {
        failure = "the planner task ended " + planner.state().wireName() + ": " + planner.deadReason();
      } else {
        DemoAgents.Plan plan = client.codec().decode(planner.resultJson(), DemoAgents.Plan.class);
        writer = client.dispatcher().awaitResult(plan.writerTaskId(), remaining(deadline));
        if (writer.state() != TaskState.SUCCEEDED) {
          failure = "the writer task ended " + writer.state().wireName() + ": " + writer.deadReason();
        }
      }
    } catch (TimeoutException e) {
      failure = "the pipeline did not finish within " + ProgressPrinter.formatSeconds(timeout.toMillis() / 1e3)
          + " (--timeout)";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failure = "interrupted";
    }
    progress.close(); // prints every event up to now before the summary

    return summarize(out, client, facts, progress, plannerId, writer, failure, uri, privateRedis, start);
  }

  private int summarize(PrintWriter out, BatonClient client, FlakyFactsService facts, ProgressPrinter progress,
      String plannerId, TaskInfo writer, String failure, String uri, boolean privateRedis, long start) {
    Inspector inspector = client.inspector();
    out.println();
    if (writer != null && writer.state() == TaskState.SUCCEEDED) {
      DemoAgents.Answer answer = client.codec().decode(writer.resultJson(), DemoAgents.Answer.class);
      out.println("Final answer:");
      answer.answer().lines().forEach(l -> out.println("  " + l));
      out.println();
    }
    long enqueued = 0, succeeded = 0, retried = 0;
    List<TaskInfo> dead = new ArrayList<>();
    for (String q : List.of(DemoAgents.PLANNER, DemoAgents.RESEARCHER, DemoAgents.WRITER)) {
      QueueStats s = inspector.stats(q);
      enqueued += s.enqueued();
      succeeded += s.succeeded();
      retried += s.retried();
      dead.addAll(inspector.deadLetters(q, 0, 100));
    }
    long attempts = progress.latest().stream().mapToLong(TaskInfo::attempts).sum();
    out.println("Summary:");
    out.printf(Locale.ROOT, "  tasks         %d enqueued, %d succeeded, %d dead%n", enqueued, succeeded, dead.size());
    out.printf(Locale.ROOT, "  attempts      %d, of which %d failed and were retried%n", attempts, retried);
    out.printf(Locale.ROOT, "  facts service %d calls: %d answered with an error, %d too slowly%n", facts.calls(),
        facts.failures(), facts.slowCalls());
    if (!outage.isZero()) {
      List<BreakerTransition> transitions = progress.transitions();
      long opened = transitions.stream().filter(t -> t.to() == BreakerState.OPEN).count();
      BreakerInfo now = inspector.breaker(DemoAgents.FACTS_SERVICE);
      out.printf(Locale.ROOT, "  outage        %d calls answered 529; breaker %s opened %d time(s), now %s; "
          + "tasks waited parked without using attempts%n", facts.outageCalls(), DemoAgents.FACTS_SERVICE, opened,
          now.state().wireName());
    }
    out.println("  dead letters  " + dead.size());
    for (TaskInfo d : dead) {
      out.println("    " + d.agentType() + " task " + d.id() + " dead: " + d.deadReason());
    }
    out.println("  elapsed       " + ProgressPrinter.formatSeconds((System.nanoTime() - start) / 1e9));
    if (privateRedis) {
      out.println("  inspect       this run's private Redis is gone; to inspect the dead letter afterwards, use your own:");
      out.println("                REDIS_URL=redis://127.0.0.1:6379 ./baton demo   then   "
          + "REDIS_URL=redis://127.0.0.1:6379 ./baton dlq list --queue " + DemoAgents.RESEARCHER
          + " --prefix <the key prefix it prints>");
    } else {
      out.println("  inspect       REDIS_URL=" + uri + " ./baton dlq list --queue " + DemoAgents.RESEARCHER
          + " --prefix " + client.config().keyPrefix());
    }

    String poisonedId = DemoAgents.researcherId(plannerId, FlakyFactsService.POISONED_TOPIC);
    boolean breakerAsDesigned = outage.isZero() || breakerClosedAfterOpening(progress.transitions());
    boolean asDesigned = failure == null && dead.size() == 1 && dead.get(0).id().equals(poisonedId)
        && breakerAsDesigned;
    if (failure == null && !breakerAsDesigned) {
      failure = "the breaker of " + DemoAgents.FACTS_SERVICE + " did not open and close again during the outage";
    }
    if (asDesigned) {
      out.println("OK: the answer was written, and exactly the poisoned topic ended in the dead-letter queue.");
    } else {
      if (failure == null) {
        failure = "expected exactly the '" + FlakyFactsService.POISONED_TOPIC + "' research task in the dead-letter "
            + "queue, found " + dead.size() + " dead letter(s)";
      }
      out.println("NOT OK: " + failure);
    }
    out.flush();
    return asDesigned ? 0 : 1;
  }

  /** The breaker opened at least once and its latest transition closed it. */
  private static boolean breakerClosedAfterOpening(List<BreakerTransition> transitions) {
    return transitions.stream().anyMatch(t -> t.to() == BreakerState.OPEN)
        && transitions.get(transitions.size() - 1).to() == BreakerState.CLOSED;
  }

  private static Duration remaining(long deadlineNanos) throws TimeoutException {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new TimeoutException();
    }
    return Duration.ofNanos(left);
  }

  private static void closeAll(Deque<AutoCloseable> cleanup, PrintWriter err) {
    while (!cleanup.isEmpty()) {
      try {
        cleanup.pop().close();
      } catch (Exception e) {
        err.println("baton demo: cleanup failed: " + e);
      }
    }
  }

  private static void removeShutdownHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs anyway, and close() is idempotent
    }
  }

  private static final List<String> NOISY_LOGGERS = List.of("dev.baton", "io.lettuce", "io.netty", "reactor");

  /** Hides library logs below WARN for the demo's output; returns the levels to restore. */
  private static Map<String, Level> quietLogs() {
    Map<String, Level> previous = new LinkedHashMap<>();
    for (String name : NOISY_LOGGERS) {
      if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
        previous.put(name, logger.getLevel()); // may be null: inherited
        logger.setLevel(Level.WARN);
      }
    }
    return previous;
  }

  private static void restoreLogs(Map<String, Level> levels) {
    levels.forEach((name, level) -> ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).setLevel(level));
  }

  /** Parses {@code 60s}, {@code 1500ms}, {@code 2m}, {@code 1h}, a bare number of seconds, or ISO-8601. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h)?");

    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      Matcher m = SIMPLE.matcher(v);
      Duration d;
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        d = switch (unit) {
          case "ms" -> Duration.ofMillis(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofSeconds(n);
        };
      } else {
        try {
          d = Duration.parse(value.strip().toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
          throw new TypeConversionException("'" + value + "' is not a duration (e.g. 60s, 2m, 1500ms)");
        }
      }
      if (d.isNegative() || d.isZero()) {
        throw new TypeConversionException("'" + value + "' must be positive");
      }
      return d;
    }
  }
}
