package dev.baton;

import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.RateLimitedException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.ManualLoops;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.SettableClock;
import io.lettuce.core.Range;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A worker built with {@link Worker.Builder#manualLoops()} runs its background loops only when the
 * test says so, one pass per call, while its fetch loops and outcome writer run as usual.
 */
class ManualLoopsIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "manual";
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void aDueTaskWaitsForAPromoterPassAndThenRuns() throws Exception {
    BatonClient baton = redis.client();
    RedisCommands<String, String> raw = redis.raw();
    Keys k = new Keys(redis.prefix());
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).delay(Duration.ofMillis(1)).build()).id();
    await().atMost(WAIT).until(() -> raw.zcount(k.delayed(Q), Range.create(0, serverMillis(raw))) == 1);
    Worker worker = redis.closeAfter(Worker.builder(baton).clock(new SettableClock()).manualLoops()
        .handle(Q, ctx -> "promoted by hand").build().start());

    // due, with a worker serving its queue: no promoter thread moves it (one would at once)
    await().during(Duration.ofMillis(200)).atMost(WAIT)
        .until(() -> baton.inspector().task(id).state() == TaskState.SCHEDULED);
    assertThat(worker.manualLoops().runPromoterOnce()).as("pause: nothing else due").isEqualTo(Worker.DEFAULT_PROMOTE_INTERVAL);
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"promoted by hand\"");
  }

  @Test
  void aJanitorPassKeepsTheDeadLetterCap() throws Exception {
    BatonClient baton = redis.client(redis.config().deadLetterCap(2).build());
    Worker worker = redis.closeAfter(Worker.builder(baton).manualLoops()
        .handle(Q, ctx -> {
          throw new NonRetryableException("always");
        }).build().start());
    for (int i = 0; i < 3; i++) {
      String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
      assertThat(baton.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.DEAD);
    }
    assertThat(baton.inspector().stats(Q).dead()).isEqualTo(3);

    worker.manualLoops().runJanitorOnce();
    assertThat(baton.inspector().stats(Q).dead()).isEqualTo(2);
  }

  @Test
  void aParkedTaskIsReleasedByAUnparkerPass() throws Exception {
    BatonClient baton = redis.client();
    AtomicInteger calls = new AtomicInteger();
    Worker worker = redis.closeAfter(Worker.builder(baton).manualLoops()
        .dependency(DependencyConfig.of("svc", BreakerConfig.builder().minimumCalls(100_000).build()))
        .handle(Q, HandlerOptions.DEFAULT.dependencies("svc"), ctx -> ctx.dependency("svc").call(() -> {
          if (calls.incrementAndGet() == 1) {
            throw new RateLimitedException("svc", Duration.ZERO, "429 from svc");
          }
          return "after parking";
        })).build().start());
    ManualLoops loops = worker.manualLoops();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    await().atMost(WAIT).until(() -> baton.inspector().task(id).state() == TaskState.PARKED);

    // parked for the shortest defer on the Redis clock; only unparker passes hand it back
    await().atMost(WAIT).untilAsserted(() -> {
      loops.runUnparkerOnce();
      assertThat(baton.inspector().task(id).state()).isNotEqualTo(TaskState.PARKED);
    });
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(done.resultJson()).isEqualTo("\"after parking\"");
    assertThat(done.attempts()).isEqualTo(1);
    assertThat(calls).hasValue(2);
  }

  @Test
  void theDatasetWatchReportsALostDatasetOnItsNextPass() {
    BatonClient baton = redis.client();
    Worker worker = redis.closeAfter(Worker.builder(baton).manualLoops().handle(Q, ctx -> "x").build().start());
    worker.manualLoops().runDatasetWatchOnce();
    assertThat(worker.datasetLosses()).isZero();

    redis.raw().del(new Keys(redis.prefix()).epoch()); // as a flush or an empty failover would
    assertThat(worker.datasetLosses()).as("not looked at yet").isZero();
    worker.manualLoops().runDatasetWatchOnce();
    assertThat(worker.datasetLosses()).isEqualTo(1);
  }

  @Test
  void aWorkerRunningItsOwnLoopsHasNoManualHandle() {
    BatonClient baton = redis.client();
    Worker worker = Worker.builder(baton).handle(Q, ctx -> "x").build();
    assertThatThrownBy(worker::manualLoops).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("manualLoops()");
  }

  private static long serverMillis(RedisCommands<String, String> raw) {
    List<String> t = raw.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }
}
