package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.BreakerWorkerMain;
import dev.baton.testing.FlakyHttpStub;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.TestJvms;
import dev.baton.testkit.WorkerJvm;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * F28: a 30-second outage of a dependency while tasks flow through three worker processes. Nothing
 * is dead-lettered, no attempt is spent on the outage, the dependency sees no more than the
 * permitted probes while the breaker is not closed, and throughput is back within the wait in open
 * plus the probe time after recovery. Prints its figures on a line starting with {@code
 * OUTAGE-FIGURES} (docs/resilience.md quotes them).
 *
 * <p>Runs beside the other test classes ({@code @Execution(CONCURRENT)}): it mostly waits on real
 * time (a paced producer, a 30 s outage), and its bounds have seconds of margin.
 */
@Execution(ExecutionMode.CONCURRENT)
class ProviderOutageIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "outage";
  private static final int WORKERS = 3;
  private static final int CONCURRENCY = 4;
  private static final int RATE_PER_SECOND = 20;
  private static final Duration BEFORE = Duration.ofSeconds(5);
  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final Duration AFTER = Duration.ofSeconds(8);
  private static final long WAIT_IN_OPEN_MS = 3_000;
  private static final int PROBES = 2;

  @Test
  void aThirtySecondOutageDeadLettersNothingSpendsNoAttemptAndLetsOnlyProbesThrough() throws Exception {
    BatonClient baton = redis.client();
    RedisCommands<String, String> raw = redis.raw();
    Keys k = new Keys(redis.prefix());
    FlakyHttpStub stub = redis.closeAfter(new FlakyHttpStub());
    List<WorkerJvm> workers = new ArrayList<>();
    for (int i = 0; i < WORKERS; i++) {
      workers.add(redis.closeAfter(TestJvms.start(BreakerWorkerMain.class, redis.uri(), redis.prefix(), Q,
          Integer.toString(CONCURRENCY), stub.url(), "20", "10", "50", Long.toString(WAIT_IN_OPEN_MS),
          Integer.toString(PROBES), "2000", "500")));
    }
    for (WorkerJvm w : workers) {
      await().atMost(Duration.ofSeconds(30)).until(() -> w.marker("READY").isPresent());
    }

    List<String> ids = new CopyOnWriteArrayList<>();
    long start = System.currentTimeMillis();
    long failAt = start + BEFORE.toMillis();
    long recoverAt = failAt + OUTAGE.toMillis();
    long stopAt = recoverAt + AFTER.toMillis();
    boolean failed = false;
    boolean recovered = false;
    List<Integer> parkedAttempts = new ArrayList<>();
    long sampledParked = 0;
    for (long n = 0; System.currentTimeMillis() < stopAt; n++) {
      long due = start + n * 1000 / RATE_PER_SECOND;
      long wait = due - System.currentTimeMillis();
      if (wait > 0) {
        Thread.sleep(wait); // pacing the producer: the load itself, not a wait for a result
      }
      long now = System.currentTimeMillis();
      if (!failed && now >= failAt) {
        stub.fail(529);
        failed = true;
      }
      if (failed && !recovered && now >= failAt + OUTAGE.toMillis() / 2 && sampledParked == 0) {
        // mid-outage: tasks parked or waiting in the stream have spent no attempt
        for (String id : raw.zrange(k.parked(Q), 0, -1)) {
          parkedAttempts.add(Integer.parseInt(raw.hget(k.task(Q, id), "att")));
        }
        sampledParked = Math.max(1, parkedAttempts.size());
      }
      if (!recovered && now >= recoverAt) {
        stub.recover();
        recovered = true;
      }
      ids.add(baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(2).build()).id());
    }

    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .until(() -> baton.inspector().stats(Q).succeeded() + baton.inspector().stats(Q).dead() >= ids.size());

    QueueStats stats = baton.inspector().stats(Q);
    assertThat(stats.dead()).as("dead-lettered").isZero();
    assertThat(stats.succeeded()).isEqualTo(ids.size());
    long parkedEver = 0;
    for (String id : ids) {
      TaskInfo t = baton.inspector().task(Q, id).orElseThrow();
      assertThat(t.attempts()).as("attempts of %s", id).isEqualTo(1);
      assertThat(t.history()).as("history of %s", id).hasSize(1);
      parkedEver += raw.hexists(k.task(Q, id), "pn") ? 1 : 0;
    }
    assertThat(parkedAttempts).as("attempts of tasks parked mid-outage").allMatch(a -> a == 0);

    List<StreamMessage<String, String>> events = raw.xrange(k.breakerEvents("stub"), Range.create("-", "+"));
    List<String> path = events.stream().map(e -> e.getBody().get("to")).toList();
    assertThat(path).first().isEqualTo("open");
    assertThat(path).last().isEqualTo("closed");
    List<Long> halfOpens = new ArrayList<>();
    long firstOpen = at(events.get(0));
    long closedAt = at(events.get(events.size() - 1));
    for (StreamMessage<String, String> e : events) {
      if (e.getBody().get("to").equals("half_open")) {
        halfOpens.add(at(e));
      }
    }
    assertThat(halfOpens).isNotEmpty();
    // while not closed: the first open period, then each half-open round with the open period after it
    long maxPerRound = stub.callsBetween(firstOpen, halfOpens.get(0));
    List<Long> perRound = new ArrayList<>(List.of(maxPerRound));
    for (int i = 0; i < halfOpens.size(); i++) {
      long to = i + 1 < halfOpens.size() ? halfOpens.get(i + 1) : closedAt;
      perRound.add(stub.callsBetween(halfOpens.get(i), to));
    }
    assertThat(perRound).as("stub calls per open/half-open round").allMatch(c -> c <= PROBES);
    long callsWhileNotClosed = stub.callsBetween(firstOpen, closedAt);

    // throughput: 200s per second before the outage, and the first full second after recovery that matches it
    List<FlakyHttpStub.Call> calls = stub.calls();
    long okBefore = calls.stream().filter(c -> c.status() == 200 && c.atMillis() >= start + 1000 && c.atMillis() < failAt)
        .count();
    double rateBefore = okBefore * 1000.0 / (failAt - start - 1000);
    long fullAt = -1;
    for (long b = recoverAt; b < recoverAt + 30_000; b += 100) {
      long from = b;
      long ok = calls.stream().filter(c -> c.status() == 200 && c.atMillis() >= from && c.atMillis() < from + 1000)
          .count();
      if (ok >= rateBefore) {
        fullAt = b + 1000;
        break;
      }
    }
    long openedAfterFail = firstOpen - failAt;
    long closedAfterRecovery = closedAt - recoverAt;
    long fullAfterRecovery = fullAt - recoverAt;
    System.out.printf(
        "OUTAGE-FIGURES workers=%d concurrency=%d rate=%d/s outage=%ds tasks=%d dead=%d attemptsAll1=true "
            + "parkedAtSomePoint=%d parkedMidOutageWithAtt0=%d transitions=%d halfOpenRounds=%d "
            + "stubCallsWhileNotClosed=%d maxStubCallsPerRound=%d probes=%d openedAfterFailMs=%d "
            + "closedAfterRecoveryMs=%d fullThroughputAfterRecoveryMs=%d waitInOpenMs=%d okRateBefore=%.1f/s%n",
        WORKERS, CONCURRENCY, RATE_PER_SECOND, OUTAGE.toSeconds(), ids.size(), stats.dead(), parkedEver,
        parkedAttempts.size(), events.size(), halfOpens.size(), callsWhileNotClosed,
        perRound.stream().mapToLong(Long::longValue).max().orElse(0), PROBES, openedAfterFail, closedAfterRecovery,
        fullAfterRecovery, WAIT_IN_OPEN_MS, rateBefore);
    assertThat(fullAt).as("throughput came back").isPositive();
    // the breaker needs its wait in open, then one round of probes; waves then double every 500 ms
    assertThat(closedAfterRecovery).isLessThanOrEqualTo(WAIT_IN_OPEN_MS + 2_000);
    assertThat(fullAfterRecovery).isLessThanOrEqualTo(WAIT_IN_OPEN_MS + 4_000);
    assertThat(raw.zcard(k.parked(Q))).isZero();
    assertThat(baton.inspector().breaker("stub").parked()).isZero();
  }

  private static long at(StreamMessage<String, String> e) {
    Map<String, String> b = e.getBody();
    return Long.parseLong(b.get("at"));
  }
}
