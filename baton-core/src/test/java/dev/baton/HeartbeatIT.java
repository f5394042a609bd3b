package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The heartbeat really keeps the lease: handlers running five times longer than a 600 ms lease on
 * worker A are never taken over by worker B, whose recoverer looks for expired leases every 50 ms
 * on the same agent type. Each task is delivered once and succeeds on A.
 *
 * <p>Protection checked: the heartbeat (renew.lua resetting the entry's idle time with XCLAIM, a
 * few times per lease). Without the renewal the entries go idle past the lease after 600 ms and B
 * takes every task over: deliveries 2, results from B, A cancelled.
 */
class HeartbeatIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "long-runner";
  private static final Duration LEASE = Duration.ofMillis(600);
  private static final Duration WORK = Duration.ofSeconds(3);
  private static final int TASKS = 4;

  @Test
  void handlersRunningFiveLeasesLongKeepTheirTasksAgainstAnotherWorkersRecoverer() throws Exception {
    BatonClient clientA = redis.client();
    BatonClient clientB = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    CountDownLatch started = new CountDownLatch(TASKS);
    Set<String> cancelledOnA = ConcurrentHashMap.newKeySet();
    Worker a = redis.closeAfter(Worker.builder(clientA)
        .handle(Q, HandlerOptions.withConcurrency(TASKS).lease(LEASE), ctx -> {
          started.countDown();
          try {
            Thread.sleep(WORK);
          } catch (InterruptedException e) {
            cancelledOnA.add(ctx.taskId());
            throw e;
          }
          return "A";
        })
        .build()
        .start());
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < TASKS; i++) {
      ids.add(clientA.dispatcher().enqueue(TaskRequest.builder(Q).build()).id());
    }
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    Set<String> ranOnB = ConcurrentHashMap.newKeySet();
    redis.closeAfter(Worker.builder(clientB)
        .recoverInterval(Duration.ofMillis(50))
        .handle(Q, HandlerOptions.withConcurrency(TASKS).lease(LEASE), ctx -> {
          ranOnB.add(ctx.taskId());
          return "B";
        })
        .build()
        .start());

    for (String id : ids) {
      TaskInfo t = clientA.dispatcher().awaitResult(id, WORK.plusSeconds(10));
      assertThat(t.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(t.resultJson()).isEqualTo("\"A\"");
      assertThat(t.deliveries()).as("delivered exactly once").isEqualTo(1);
      assertThat(t.attempts()).isEqualTo(1);
      assertThat(t.history()).singleElement().satisfies(h -> assertThat(h.worker()).isEqualTo(a.consumerName()));
      assertThat(Duration.between(t.history().get(0).startedAt(), t.history().get(0).finishedAt()))
          .isGreaterThanOrEqualTo(WORK);
    }
    assertThat(ranOnB).isEmpty();
    assertThat(cancelledOnA).isEmpty();
    assertThat(raw.hget(k.stats(Q), "recovered")).isNull();
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
  }
}
