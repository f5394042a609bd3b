package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.server.Recoverer;
import dev.baton.testing.ManualLoops;
import dev.baton.testing.SettableClock;
import dev.baton.testkit.RedisServer;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A handler that finishes while Redis is down keeps its outcome: redis-server (AOF) is killed
 * while a worker runs a task, the handler returns during the outage (longer than the lease), and
 * Redis comes back. The lease ran out meanwhile, so another worker's recoverer could take the task
 * over the moment Redis answers; instead recoverers wait a grace period after an outage, the first
 * worker's retried outcome write lands, and the task ran once.
 *
 * <p>Both workers run on {@link SettableClock}s, so the order is the test's, not a race: the holder's
 * outcome write times out during the outage and its retry waits for the holder's clock; the other
 * worker's recoverer (its loops run by hand) looks once during the outage, once when Redis is back
 * with the lease expired and the outcome not yet written (within its grace: it takes nothing), and
 * once after its clock has passed the grace, when the retried write has landed. Only the outage is
 * a real wait.
 *
 * <p>Protection checked: the recoverer's grace after an outage (without it the other worker takes
 * the task over as soon as Redis is back, runs it again, and the first worker's write is refused).
 * RecovererGraceIT checks the grace's exact length.
 */
class OutcomeAfterOutageIT {
  private static final String Q = "outage";
  private static final Duration LEASE = Duration.ofSeconds(1);
  /** The holder's commands time out after this: its outcome write fails during the outage. */
  private static final Duration HOLDER_COMMAND_TIMEOUT = Duration.ofMillis(1_200);
  /** Longer than the lease and the holder's command timeout. */
  private static final Duration OUTAGE = Duration.ofSeconds(2);

  @Test
  void anOutcomeWrittenWhileRedisWasDownLandsBeforeAnyTakeover() throws Exception {
    try (RedisServer server = RedisServer.start(RedisServer.Persistence.AOF_ALWAYS)) {
      BatonConfig config = BatonConfig.builder().redisUri(server.uri()).keyPrefix("oao").build();
      Keys k = new Keys("oao");
      BatonClient first = BatonClient.connect(BatonConfig.builder().redisUri(server.uri()).keyPrefix("oao")
          .commandTimeout(HOLDER_COMMAND_TIMEOUT).build());
      BatonClient second = BatonClient.connect(config);
      List<String> runs = new CopyOnWriteArrayList<>();
      CountDownLatch release = new CountDownLatch(1);
      SettableClock holderClock = new SettableClock();
      Worker holder = Worker.builder(first).consumerName("holder").clock(holderClock).manualLoops()
          .handle(Q, HandlerOptions.withConcurrency(1).lease(LEASE), ctx -> {
            runs.add("holder");
            release.await();
            return "from holder";
          }).build().start();
      SettableClock otherClock = new SettableClock();
      Worker other = null;
      try (RedisClient rc = RedisClient.create(server.uri())) {
        String id = second.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.size() == 1);
        other = Worker.builder(second).consumerName("other").clock(otherClock).manualLoops()
            .handle(Q, HandlerOptions.withConcurrency(1).lease(LEASE), ctx -> {
              runs.add("other");
              return "from other";
            }).build().start();
        ManualLoops otherLoops = other.manualLoops();

        server.kill();
        release.countDown(); // the handler returns while Redis is down: its outcome write fails
        // the other worker's recoverer looks during the outage: its call fails, or is held until
        // Redis is back and answered late; either way it knows of the outage
        CompletableFuture<Duration> lookDuringOutage = CompletableFuture.supplyAsync(otherLoops::runRecovererOnce);
        Thread.sleep(OUTAGE.toMillis()); // the outage itself: the lease runs out on the Redis clock
        server.restart();
        try {
          lookDuringOutage.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(RedisUnavailableException.class);
        }

        // Redis is back, the lease long expired, the outcome not written yet (its retry waits for the
        // holder's clock): the recoverer, within its grace, takes nothing
        StatefulRedisConnection<String, String> raw = rc.connect();
        PendingMessage pending = onlyPending(raw, k);
        assertThat(pending.getConsumer()).isEqualTo("holder");
        assertThat(pending.getSinceLastDelivery()).isGreaterThan(LEASE);
        otherLoops.runRecovererOnce();
        assertThat(onlyPending(raw, k).getId()).isEqualTo(pending.getId());
        assertThat(onlyPending(raw, k).getConsumer()).isEqualTo("holder");
        assertThat(runs).containsExactly("holder");

        holderClock.advance(Duration.ofSeconds(2)); // the holder's completer retries its write
        TaskInfo done = second.dispatcher().awaitResult(id, Duration.ofSeconds(20));
        assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(done.resultJson()).isEqualTo("\"from holder\"");
        assertThat(done.deliveries()).isEqualTo(1);
        assertThat(done.history()).singleElement().satisfies(h -> assertThat(h.worker()).isEqualTo("holder"));
        // past the grace, on the other worker's clock: nothing is left to take over, nothing runs again
        otherClock.advance(Recoverer.OUTAGE_GRACE);
        otherLoops.runRecovererOnce();
        assertThat(runs).containsExactly("holder");
        assertThat(raw.sync().xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
        assertThat(raw.sync().hget(k.stats(Q), "recovered")).isNull();
        assertThat(second.inspector().stats(Q).succeeded()).isEqualTo(1);
        assertThat(second.inspector().task(id)).isEqualTo(done);
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

  private static PendingMessage onlyPending(StatefulRedisConnection<String, String> raw, Keys k) {
    List<PendingMessage> pending = raw.sync().xpending(k.stream(Q), Consumer.from(Keys.GROUP, "holder"),
        Range.create("-", "+"), Limit.from(10));
    assertThat(pending).hasSize(1);
    return pending.get(0);
  }
}
