package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.server.Recoverer;
import dev.baton.testkit.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A handler that finishes while Redis is down keeps its outcome: redis-server (AOF) is killed
 * while a worker runs a task, the handler returns during the 3 s outage (three leases), and Redis
 * comes back. Every lease ran out meanwhile, so another worker's recoverer could take the task over
 * the moment Redis answers; instead recoverers wait a grace period after an outage, the first
 * worker's retried outcome write lands, and the task ran once.
 *
 * <p>Protection checked: the recoverer's grace after an outage (without it the second worker takes
 * the task over about a second after the restart, runs it again, and the first worker's write is
 * refused).
 */
class OutcomeAfterOutageIT {
  private static final String Q = "outage";
  private static final Duration LEASE = Duration.ofSeconds(1);

  @Test
  void anOutcomeWrittenWhileRedisWasDownLandsBeforeAnyTakeover() throws Exception {
    try (RedisServer server = RedisServer.start(RedisServer.Persistence.AOF_ALWAYS)) {
      BatonConfig config = BatonConfig.builder().redisUri(server.uri()).keyPrefix("oao").build();
      BatonClient first = BatonClient.connect(config);
      BatonClient second = BatonClient.connect(config);
      List<String> runs = new CopyOnWriteArrayList<>();
      CountDownLatch release = new CountDownLatch(1);
      Worker holder = Worker.builder(first).consumerName("holder").recoverInterval(Duration.ofMillis(100))
          .handle(Q, HandlerOptions.withConcurrency(1).lease(LEASE), ctx -> {
            runs.add("holder");
            release.await();
            return "from holder";
          }).build().start();
      Worker other = null;
      try {
        String id = first.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.size() == 1);
        other = Worker.builder(second).consumerName("other").recoverInterval(Duration.ofMillis(100))
            .handle(Q, HandlerOptions.withConcurrency(1).lease(LEASE), ctx -> {
              runs.add("other");
              return "from other";
            }).build().start();

        server.kill();
        release.countDown(); // the handler returns while Redis is down: its outcome write retries
        Thread.sleep(3_000);
        server.restart();

        TaskInfo done = first.dispatcher().awaitResult(id, Duration.ofSeconds(20));
        assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(done.resultJson()).isEqualTo("\"from holder\"");
        assertThat(done.deliveries()).isEqualTo(1);
        // past the grace: nothing was taken over, and nothing runs again
        Thread.sleep(Recoverer.OUTAGE_GRACE.plusSeconds(1).toMillis());
        assertThat(runs).containsExactly("holder");
        assertThat(first.inspector().stats(Q).succeeded()).isEqualTo(1);
      } finally {
        holder.shutdown(Duration.ofSeconds(2));
        if (other != null) {
          other.shutdown(Duration.ofSeconds(2));
        }
        first.close();
        second.close();
      }
    }
  }
}
