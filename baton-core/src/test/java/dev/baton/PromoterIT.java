package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.server.Promoter;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Moving due tasks to the stream: racing promoters neither lose nor duplicate; backoff is honoured. */
class PromoterIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";

  @Test
  void eightRacingPromotersMoveEachDueTaskExactlyOnce() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    List<TaskRequest> requests = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      requests.add(TaskRequest.builder(Q).payloadJson("{\"i\":" + i + "}").delay(Duration.ofMillis(1)).build());
    }
    Set<String> ids = baton.dispatcher().enqueueAll(requests).stream()
        .peek(r -> assertThat(r.state()).isEqualTo(TaskState.SCHEDULED))
        .map(EnqueueResult::id)
        .collect(Collectors.toSet());
    assertThat(ids).hasSize(2000);
    await().atMost(Duration.ofSeconds(5)).until(() -> raw.zcount(k.delayed(Q), Range.create(0, serverMillis(raw))) == 2000);

    // one connection per promoter, as separate workers would have; all start together
    int racers = 8;
    List<Promoter> promoters = new ArrayList<>();
    for (int i = 0; i < racers; i++) {
      promoters.add(new Promoter(redis.client().broker(), List.of(Q), Duration.ofMillis(200)));
    }
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(racers);
    try {
      List<Future<Duration>> runs = new ArrayList<>();
      for (Promoter p : promoters) {
        runs.add(pool.submit(() -> {
          go.await();
          return p.runOnce();
        }));
      }
      go.countDown();
      for (Future<Duration> f : runs) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(raw.zcard(k.delayed(Q))).isZero();
    List<StreamMessage<String, String>> entries = raw.xrange(k.stream(Q), Range.create("-", "+"));
    Map<String, Long> entriesPerTask = entries.stream()
        .collect(Collectors.groupingBy(e -> e.getBody().get("t"), Collectors.counting()));
    assertThat(entriesPerTask.keySet()).isEqualTo(ids); // none lost
    assertThat(entriesPerTask.values()).containsOnly(1L); // none duplicated
    Map<String, String> entryOf = new HashMap<>();
    entries.forEach(e -> entryOf.put(e.getBody().get("t"), e.getId()));
    for (String id : ids) {
      Map<String, String> rec = raw.hgetall(k.task(Q, id));
      assertThat(rec).containsEntry("st", "queued").containsEntry("eid", entryOf.get(id));
    }
  }

  @Test
  void retriesWaitForTheirBackoffCeilingWhenJitterIsAtItsTop() throws Exception {
    BatonClient baton = redis.client();
    redis.closeAfter(Worker.builder(baton)
        .random(() -> 0.999)
        .handle(Q, ctx -> {
          if (ctx.attempt() < 3) {
            throw new IllegalStateException("attempt " + ctx.attempt() + " fails");
          }
          return "ok";
        })
        .build()
        .start());
    // ceilings 200 ms, then 400 ms; with the random source at 0.999 the delay is the ceiling
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q)
        .maxAttempts(3)
        .retryPolicy(RetryPolicy.exponential(Duration.ofMillis(200), 2.0, Duration.ofSeconds(5)))
        .build()).id();

    TaskInfo done = baton.dispatcher().awaitResult(id, Duration.ofSeconds(10));

    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    List<TaskError> h = done.history();
    assertThat(h).extracting(TaskError::attempt).containsExactly(1, 2, 3);
    // worker and Redis share this machine's clock; allow 2 ms for the two clocks' rounding
    assertThat(Duration.between(h.get(0).finishedAt(), h.get(1).startedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(198));
    assertThat(Duration.between(h.get(1).finishedAt(), h.get(2).startedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(398));
    // the last retry's due time (server clock) is the failure time plus the delay
    assertThat(Duration.between(h.get(1).finishedAt(), done.scheduledAt())).isGreaterThanOrEqualTo(Duration.ofMillis(398));
    assertThat(h.get(2).startedAt()).isAfterOrEqualTo(done.scheduledAt().minusMillis(2));
  }

  private static long serverMillis(RedisCommands<String, String> raw) {
    List<String> t = raw.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }
}
