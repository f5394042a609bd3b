package dev.baton;

import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.ConcurrencyLimiter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.testing.LimitsMain;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.TestJvms;
import dev.baton.testkit.WorkerJvm;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rate and concurrency limits held by several JVMs at once, each with more threads than the limit
 * allows, against one real Redis. Every time checked is Redis time, from the limiters' replies.
 */
class LimitsAcrossProcessesIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final int PROCESSES = 3;
  private static final int THREADS = 4;

  /**
   * Three processes of four threads reserve 10-150 tokens, call, and reconcile 50-130 % of the
   * estimate, for three windows of a 2,400-token per 4 s budget (12 s). A checker then looks at
   * every window: the tokens granted in it never exceed the budget except by charges reconciled
   * after its last grant.
   */
  @Test
  void aTokenBudgetHoldsAcrossProcesses() throws Exception {
    long budget = 2_400;
    long intervalMs = 4_000;
    long runMs = 3 * intervalMs;
    Path dir = Files.createDirectories(Path.of("target", "limits-logs"));
    List<WorkerJvm> procs = new ArrayList<>();
    List<Path> outs = new ArrayList<>();
    try {
      for (int p = 0; p < PROCESSES; p++) {
        Path out = Files.createTempFile(dir, "rate-", ".log");
        outs.add(out);
        procs.add(redis.closeAfter(TestJvms.start(LimitsMain.class, "rate", redis.uri(), redis.prefix(),
            "llm:test", Long.toString(budget), Long.toString(intervalMs), Integer.toString(THREADS), Long.toString(runMs),
            Integer.toString(17 + p), out.toString())));
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> procs.stream().allMatch(w -> w.marker("DONE").isPresent()));
    } finally {
      procs.forEach(WorkerJvm::kill);
    }

    List<BudgetCheck.Grant> grants = new ArrayList<>();
    for (Path out : outs) {
      for (String line : Files.readAllLines(out)) {
        String[] f = line.split(" ");
        grants.add(new BudgetCheck.Grant(
            Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])));
      }
    }
    BudgetCheck.Report report = BudgetCheck.check(grants, budget, intervalMs);
    long first = grants.stream().mapToLong(BudgetCheck.Grant::grantedAt).min().orElseThrow();
    long last = grants.stream().mapToLong(BudgetCheck.Grant::grantedAt).max().orElseThrow();
    long total = grants.stream().mapToLong(BudgetCheck.Grant::actual).sum();
    System.out.printf("token budget: %d calls granted over %d ms, %d tokens; busiest window %d of %d "
            + "(overshoot %d, largest single charge %d, windows over by more than one charge %d of %d)%n",
        grants.size(), last - first, total, report.maxUnits(), budget, report.maxOvershoot(), report.largestCharge(),
        report.windowsOverByMoreThanOneCharge(), report.windows());

    assertThat(report.breaches()).isEmpty();
    // the windows slid: grants span more than two intervals and more than two budgets' worth were granted
    assertThat(last - first).isGreaterThan(2 * intervalMs);
    assertThat(total).isGreaterThan(2 * budget);
  }

  /**
   * Three processes of four threads share three permits (lease 1.5 s); a fourth process grabs permits
   * and is killed with SIGKILL while holding them. Holders never exceed the permits, the dead
   * process's permits come back when their lease runs out, and the others then use all of them.
   */
  @Test
  void aConcurrencyLimitHoldsAcrossProcessesAndSurvivesKill9() throws Exception {
    int permits = 3;
    long leaseMs = 1_500;
    String name = "search-api";
    RedisCommands<String, String> raw = redis.raw();
    ConcurrencyLimiter observer = redis.client().concurrencyLimiter(name, ConcurrencyLimit.of(permits));
    Path dir = Files.createDirectories(Path.of("target", "limits-logs"));
    List<WorkerJvm> procs = new ArrayList<>();
    List<Path> outs = new ArrayList<>();
    List<long[]> hogHolds = new ArrayList<>();
    Path stop = dir.resolve("stop-" + redis.prefix());
    long killedAt;
    try {
      for (int p = 0; p < PROCESSES; p++) {
        Path out = Files.createTempFile(dir, "permits-", ".log");
        outs.add(out);
        procs.add(redis.closeAfter(TestJvms.start(LimitsMain.class, "permits", redis.uri(), redis.prefix(),
            name, Integer.toString(permits), Long.toString(leaseMs), Integer.toString(THREADS), "120000",
            Integer.toString(41 + p), out.toString(), stop.toString())));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> procs.stream().allMatch(w -> w.marker("READY").isPresent()));
      await().atMost(Duration.ofSeconds(10)).until(() -> observer.usage("default").used() == permits);

      WorkerJvm hog = redis.closeAfter(TestJvms.start(LimitsMain.class, "hog", redis.uri(),
          redis.prefix(), name, Integer.toString(permits), Long.toString(leaseMs), Integer.toString(THREADS)));
      await().atMost(Duration.ofSeconds(20)).until(() -> held(hog) >= 1);
      // let it take more of them, up to all, but kill it well within its first lease
      long until = System.nanoTime() + Duration.ofMillis(leaseMs / 2).toNanos();
      while (held(hog) < permits && System.nanoTime() < until) {
        Thread.sleep(10);
      }
      hog.kill();
      killedAt = redisMillis(raw);
      for (WorkerJvm.Marker m : hog.markers()) {
        if (m.line().startsWith("HELD ")) {
          String[] f = m.line().split(" ");
          hogHolds.add(new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
        }
      }
      long expiry = hogHolds.stream().mapToLong(h -> h[1]).max().orElse(0);
      // run on until well after its leases ran out and the others filled every permit again
      await().atMost(Duration.ofSeconds(60))
          .until(() -> redisMillis(raw) > expiry + 1000 && observer.usage("default").used() == permits);
      Files.createFile(stop);
      await().atMost(Duration.ofSeconds(60)).until(() -> procs.stream().allMatch(w -> w.marker("DONE").isPresent()));
    } finally {
      procs.forEach(WorkerJvm::kill);
    }

    List<long[]> holds = new ArrayList<>();
    int lost = 0;
    for (Path out : outs) {
      for (String line : Files.readAllLines(out)) {
        String[] f = line.split(" ");
        holds.add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])});
        if (!Boolean.parseBoolean(f[2])) {
          lost++;
        }
      }
    }
    List<long[]> all = new ArrayList<>(holds);
    all.addAll(hogHolds);
    long hogExpiry = hogHolds.stream().mapToLong(h -> h[1]).max().orElseThrow();
    List<long[]> afterExpiry = holds.stream().filter(h -> h[0] >= hogExpiry).toList();
    long firstFullAfter = firstTimeAt(afterExpiry, permits);
    System.out.printf("concurrency: %d holds by the live processes, max %d at once (limit %d); the killed process "
            + "held %d, its leases ran out %d ms after the SIGKILL; all %d permits held by the others again %d ms "
            + "after that%n",
        holds.size(), maxOverlap(all), permits, hogHolds.size(), hogExpiry - killedAt, permits,
        firstFullAfter - hogExpiry);

    assertThat(hogHolds).isNotEmpty();
    assertThat(maxOverlap(all)).isLessThanOrEqualTo(permits);
    assertThat(lost).as("permits lost by live holders").isZero();
    // the killed process's permits came back: after its leases ran out, all permits were in use at once again
    assertThat(maxOverlap(afterExpiry)).isEqualTo(permits);
  }

  private static long redisMillis(RedisCommands<String, String> raw) {
    List<String> t = raw.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }

  private static long held(WorkerJvm hog) {
    return hog.markers().stream().filter(m -> m.line().startsWith("HELD ")).count();
  }

  /** Most intervals [start, end) open at one instant. */
  static int maxOverlap(List<long[]> intervals) {
    return (int) sweep(intervals, Integer.MAX_VALUE)[0];
  }

  /** The first instant at which {@code n} intervals are open at once, or -1. */
  static long firstTimeAt(List<long[]> intervals, int n) {
    return sweep(intervals, n)[1];
  }

  private static long[] sweep(List<long[]> intervals, int stopAt) {
    List<long[]> events = new ArrayList<>();
    for (long[] i : intervals) {
      events.add(new long[] {i[0], 1});
      events.add(new long[] {i[1], -1});
    }
    // at the same instant, ends before starts: [start, end) intervals that touch do not overlap
    events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
    int open = 0;
    int max = 0;
    for (long[] e : events) {
      open += (int) e[1];
      max = Math.max(max, open);
      if (open >= stopAt) {
        return new long[] {max, e[0]};
      }
    }
    return new long[] {max, -1};
  }
}
