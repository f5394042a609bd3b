package dev.baton;

import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.RateLimit;
import dev.baton.resilience.RateLimiter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.SettableClock;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A dependency's limits in the queue: calls go through {@code ctx.dependency(name).call(...)},
 * which takes a fleet-wide concurrency permit, a request and the call's unit estimate before the
 * call; a refusal parks the task for the limit's retry-after without consuming an attempt and
 * without making the call.
 */
class DependencyLimitsIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "llm-calls";
  private static final String DEP = "llm:test";

  @Test
  void callsOverTheConcurrencyLimitParkTheirTasksWithoutUsingAnAttemptAndAllFinish() throws Exception {
    BatonClient baton = redis.client();
    AtomicInteger inCall = new AtomicInteger();
    AtomicInteger maxInCall = new AtomicInteger();
    AtomicInteger handlerRuns = new AtomicInteger();
    Map<String, Integer> callsPerTask = new ConcurrentHashMap<>();
    redis.closeAfter(Worker.builder(baton)
        .dependency(DependencyConfig.of(DEP).withConcurrencyLimit(
            ConcurrencyLimit.of(2).withRetryInterval(Duration.ofMillis(100))))
        .releaseWave(Duration.ofMillis(200))
        .handle(Q, HandlerOptions.withConcurrency(6).dependencies(DEP), ctx -> {
          handlerRuns.incrementAndGet();
          return ctx.dependency(DEP).call(() -> {
            callsPerTask.merge(ctx.taskId(), 1, Integer::sum);
            int now = inCall.incrementAndGet();
            maxInCall.accumulateAndGet(now, Math::max);
            Thread.sleep(150);
            inCall.decrementAndGet();
            return "ok";
          });
        })
        .build()
        .start());

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      ids.add(baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(1).build()).id());
    }
    for (String id : ids) {
      TaskInfo t = baton.dispatcher().awaitResult(id, Duration.ofSeconds(30));
      assertThat(t.state()).as("task %s", id).isEqualTo(TaskState.SUCCEEDED);
      assertThat(t.attempts()).as("attempts of %s: parking uses none", id).isEqualTo(1);
    }
    assertThat(maxInCall.get()).as("calls at once").isLessThanOrEqualTo(2);
    assertThat(callsPerTask).hasSize(12).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
    assertThat(handlerRuns.get()).as("handler runs: refused ones were parked and ran again").isGreaterThan(12);
    // every permit was given back
    await().atMost(Duration.ofSeconds(5)).until(() -> baton.concurrencyLimiter(DEP, ConcurrencyLimit.of(2))
        .usage("default").used() == 0);
  }

  /**
   * A call longer than its permit's lease keeps the permit: it is renewed while the call runs, so
   * a second task cannot take the only permit when the first lease would have run out.
   */
  @Test
  void aLongCallKeepsItsPermitByRenewingIt() throws Exception {
    BatonClient baton = redis.client();
    Map<String, long[]> calls = new ConcurrentHashMap<>();
    redis.closeAfter(Worker.builder(baton)
        .dependency(DependencyConfig.of(DEP).withConcurrencyLimit(
            ConcurrencyLimit.of(1).withLease(Duration.ofSeconds(1)).withRetryInterval(Duration.ofMillis(100))))
        .releaseWave(Duration.ofMillis(200))
        .handle(Q, HandlerOptions.withConcurrency(2).dependencies(DEP), ctx ->
            ctx.dependency(DEP).call(() -> {
              long start = System.nanoTime();
              Thread.sleep(ctx.payloadJson().contains("long") ? 3_000 : 50);
              calls.put(ctx.taskId(), new long[] {start, System.nanoTime()});
              return "ok";
            }))
        .build()
        .start());

    String longCall = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"long\":true}").build()).id();
    await().atMost(Duration.ofSeconds(10)).until(() -> baton.inspector().task(longCall).state() == TaskState.RUNNING);
    Thread.sleep(1_500); // past the first permit's lease of 1 s
    String shortCall = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    for (String id : List.of(longCall, shortCall)) {
      assertThat(baton.dispatcher().awaitResult(id, Duration.ofSeconds(20)).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    assertThat(calls.get(shortCall)[0]).as("the short call waited for the long call's renewed permit")
        .isGreaterThanOrEqualTo(calls.get(longCall)[1]);
  }

  /**
   * The renewal of a held permit is a timer on the worker's clock, every third of the lease: with a
   * {@link SettableClock} it happens when the clock passes that point, not before, and not ten real
   * seconds later either; the lease it extends is Redis time.
   */
  @Test
  void aHeldPermitIsRenewedEveryThirdOfItsLeaseOnTheWorkersClock() throws Exception {
    BatonClient baton = redis.client();
    SettableClock clock = new SettableClock();
    CountDownLatch inCall = new CountDownLatch(1);
    CountDownLatch endCall = new CountDownLatch(1);
    Duration lease = Duration.ofSeconds(30); // renewed every 10 s: far beyond this test's real run
    redis.closeAfter(Worker.builder(baton)
        .clock(clock)
        .manualLoops()
        .dependency(DependencyConfig.of(DEP).withConcurrencyLimit(ConcurrencyLimit.of(1).withLease(lease)))
        .handle(Q, HandlerOptions.withConcurrency(1).dependencies(DEP), ctx ->
            ctx.dependency(DEP).call(() -> {
              inCall.countDown();
              endCall.await();
              return "ok";
            }))
        .build()
        .start());
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    assertThat(inCall.await(10, TimeUnit.SECONDS)).isTrue();
    String permits = new Keys(redis.prefix()).permits(DEP, "default");
    RedisCommands<String, String> raw = redis.raw();
    assertThat(raw.zcard(permits)).isEqualTo(1);
    double firstExpiry = raw.zrangeWithScores(permits, 0, 0).get(0).getScore();
    // a renewal in a later Redis millisecond extends the expiry visibly
    await().atMost(Duration.ofSeconds(5)).until(() -> redisMillis(raw) > firstExpiry - lease.toMillis());

    clock.advance(lease.dividedBy(3).minusMillis(1));
    assertThat(raw.zrangeWithScores(permits, 0, 0).get(0).getScore()).isEqualTo(firstExpiry);

    clock.advance(Duration.ofMillis(1)); // the renewal timer fires: the lease runs from Redis's now again
    await().atMost(Duration.ofSeconds(5))
        .until(() -> raw.zrangeWithScores(permits, 0, 0).get(0).getScore() > firstExpiry);

    endCall.countDown();
    assertThat(baton.dispatcher().awaitResult(id, Duration.ofSeconds(10)).state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(raw.zcard(permits)).as("given back after the call").isZero();
  }

  private static long redisMillis(RedisCommands<String, String> raw) {
    List<String> t = raw.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }

  @Test
  void aUnitBudgetIsReservedBeforeTheCallAndReconciledToWhatItUsed() throws Exception {
    BatonClient baton = redis.client();
    RateLimit budget = RateLimit.units(100, Duration.ofSeconds(60));
    Map<String, Integer> callsPerTask = new ConcurrentHashMap<>();
    redis.closeAfter(Worker.builder(baton)
        .dependency(DependencyConfig.of(DEP).withUnitLimit(budget))
        .handle(Q, HandlerOptions.withConcurrency(1).dependencies(DEP), ctx ->
            ctx.dependency(DEP).forKey("tenant-a").call(60, meter -> {
              callsPerTask.merge(ctx.taskId(), 1, Integer::sum);
              meter.used(10); // estimated 60, used 10: 50 refunded
              return "ok";
            }))
        .build()
        .start());

    // 60 reserved, 10 kept each time: five calls fit in a budget of 100 (10 x 5 + 60 for the next)
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id());
    }
    for (String id : ids) {
      assertThat(baton.dispatcher().awaitResult(id, Duration.ofSeconds(20)).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    RateLimiter units = baton.rateLimiter(DEP + "/units", budget);
    assertThat(units.usage("tenant-a").used()).isEqualTo(50);
    assertThat(units.usage("default").used()).isZero();

    // a sixth estimate of 60 does not fit in the 50 left: its task is parked and the call not made
    String refused = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    TaskInfo parked = await().atMost(Duration.ofSeconds(10)).until(() -> baton.inspector().task(refused),
        t -> t.state() == TaskState.PARKED);
    assertThat(parked.attempts()).isZero();
    assertThat(parked.waitingFor()).isEqualTo(DEP);
    assertThat(parked.parkedReason()).contains("limit of '" + DEP + "' on units per");
    assertThat(callsPerTask).doesNotContainKey(refused);
    assertThat(units.usage("tenant-a").used()).isEqualTo(50);
  }
}
