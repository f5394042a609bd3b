package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * F23, Redis down for producers: with redis-server killed, enqueue fails within the command
 * timeout (plus a little) with {@link RedisUnavailableException}, whether one task, a batch, or a
 * first task of an agent type not seen before; nothing piles up or blocks longer. Once Redis is
 * back, enqueue works again, and retrying the failed enqueues with the same ids creates each task
 * exactly once, whether or not the failed attempt landed (its outcome was unknown).
 *
 * <p>Protections checked: the bounded command timeout on every producer command (Lettuce's
 * TimeoutOptions and RedisBroker's bounded wait: without them enqueue waits for the reconnect, or
 * for the outer timeout a second later); the typed RedisUnavailableException (not a generic
 * failure that reads as "not written"); idempotent enqueue by task id (else the retries after the
 * outage create duplicates of enqueues that did land); the capped reconnect backoff (with
 * Lettuce's default, growing to 30 s, enqueue may stay down for seconds after Redis is back).
 */
class ProducerOutageIT {
  private static final String Q = "producer";
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(1);
  private static final Duration SLACK = Duration.ofMillis(500);

  @Test
  void enqueueFailsFastAndTypedWhileRedisIsDownAndWorksAgainOnceItIsBack() throws Exception {
    assertThat(RedisServer.binary()).as("redis-server installed").isNotNull();
    try (RedisServer server = RedisServer.start(RedisServer.Persistence.AOF_ALWAYS);
        BatonClient baton = BatonClient.connect(BatonConfig.builder().redisUri(server.uri())
            .keyPrefix("po" + Long.toString(System.nanoTime(), 36)).commandTimeout(COMMAND_TIMEOUT).build())) {
      Dispatcher dispatcher = baton.dispatcher();
      Keys k = new Keys(baton.config().keyPrefix());
      String before = dispatcher.enqueue(TaskRequest.builder(Q).build()).id();

      server.kill();
      Set<String> unknown = new LinkedHashSet<>();
      List<Duration> took = new ArrayList<>();

      // one task
      String one = newId();
      unknown.add(one);
      took.add(failsFast(() -> dispatcher.enqueue(TaskRequest.builder(Q).id(one).build())));
      // a batch of 50: one command timeout for the batch, not one per task
      List<TaskRequest> batch = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        String id = newId();
        unknown.add(id);
        batch.add(TaskRequest.builder(Q).id(id).build());
      }
      took.add(failsFast(() -> dispatcher.enqueueAll(batch)));
      // an agent type this client never registered (one more command before the script)
      String other = newId();
      took.add(failsFast(() -> dispatcher.enqueue(TaskRequest.builder("producer-other").id(other).build())));

      server.restart();
      long backAt = System.nanoTime();
      String after = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
          .ignoreException(RedisUnavailableException.class)
          .until(() -> dispatcher.enqueue(TaskRequest.builder(Q).build()).id(), id -> id != null);
      Duration worksAgain = Duration.ofNanos(System.nanoTime() - backAt);
      // the client's reconnect backoff is capped at a second (RedisBroker.MAX_RECONNECT_DELAY)
      assertThat(worksAgain).isLessThanOrEqualTo(Duration.ofSeconds(2));

      // retrying the unknown outcomes with the same ids: each task exists once
      List<TaskRequest> retry = new ArrayList<>();
      for (String id : unknown) {
        retry.add(TaskRequest.builder(Q).id(id).build());
      }
      long landedAnyway = dispatcher.enqueueAll(retry).stream().filter(r -> !r.created()).count();
      RedisClient rc = RedisClient.create(server.uri());
      try (StatefulRedisConnection<String, String> conn = rc.connect()) {
        RedisCommands<String, String> raw = conn.sync();
        assertThat(raw.hget(k.task(Q, before), "st")).as("the AOF kept the task enqueued before").isEqualTo("queued");
        assertThat(raw.xlen(k.stream(Q))).isEqualTo(1 + 1 + unknown.size());
        assertThat(baton.inspector().stats(Q).queued()).isEqualTo(1 + 1 + unknown.size());
        assertThat(baton.inspector().task(after).state()).isEqualTo(TaskState.QUEUED);
      } finally {
        rc.shutdown();
      }

      System.out.printf("ProducerOutageIT: enqueue with Redis down failed in %s ms (one, batch of 50, "
              + "new agent type; command timeout %d ms); enqueue worked again %d ms after Redis was back; "
              + "%d of %d failed enqueues had landed anyway%n",
          took.stream().map(d -> Long.toString(d.toMillis())).toList(), COMMAND_TIMEOUT.toMillis(),
          worksAgain.toMillis(), landedAnyway, unknown.size());
    }
  }

  private static Duration failsFast(Runnable enqueue) {
    long start = System.nanoTime();
    assertThatThrownBy(enqueue::run).isInstanceOf(RedisUnavailableException.class);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isLessThanOrEqualTo(COMMAND_TIMEOUT.plus(SLACK));
    return took;
  }

  private static String newId() {
    return UUID.randomUUID().toString();
  }
}
