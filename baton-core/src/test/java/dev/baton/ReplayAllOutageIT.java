package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link Inspector#replayAll} while Redis goes away part-way: it does not skip the rest silently and
 * return a count that looks complete, but throws {@link PartialReplayException} saying how many it
 * replayed, how many it did not, and why. redis-server (AOF, fsync always) is killed with SIGKILL
 * once some hundred dead letters are back on the stream; after the restart the replayed ones are
 * still replayed, and a second {@code replayAll} replays the rest.
 */
class ReplayAllOutageIT {
  private static final String Q = "agent";
  private static final int N = 3_000;

  @Test
  void aReplayStoppedByARedisOutageReportsHowFarItGotAndWhy() throws Exception {
    Assumptions.assumeTrue(RedisServer.binary() != null || "true".equalsIgnoreCase(System.getenv("CI")),
        "redis-server is not installed");
    try (RedisServer server = RedisServer.start(RedisServer.Persistence.AOF_ALWAYS)) {
      Keys k = new Keys("r");
      RedisClient rc = RedisClient.create(server.uri());
      try (StatefulRedisConnection<String, String> conn = rc.connect()) {
        RedisAsyncCommands<String, String> raw = conn.async();
        List<RedisFuture<?>> writes = new ArrayList<>();
        for (int i = 0; i < N; i++) {
          String id = "d" + i;
          writes.add(raw.hset(k.task(Q, id), java.util.Map.of("id", id, "q", Q, "st", "dead", "att", "3", "dlv", "3",
              "max", "3", "p", "{}", "why", "attempts exhausted")));
          writes.add(raw.zadd(k.dead(Q), i, id));
        }
        for (RedisFuture<?> w : writes) {
          w.get(10, TimeUnit.SECONDS);
        }

        BatonClient baton = BatonClient.connect(
            BatonConfig.builder().redisUri(server.uri()).keyPrefix("r").commandTimeout(Duration.ofSeconds(2)).build());
        try (baton) {
          CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
            try {
              return new AssertionError("replayAll returned " + baton.inspector().replayAll(Q) + " without an error");
            } catch (Throwable t) {
              return t;
            }
          });
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          while (raw.zcard(k.dead(Q)).get(5, TimeUnit.SECONDS) > N - 200) {
            assertThat(System.nanoTime()).as("200 replayed within 30 s").isLessThan(deadline);
            Thread.sleep(1);
          }
          server.kill();

          Throwable t = outcome.get(30, TimeUnit.SECONDS);
          assertThat(t).isInstanceOf(PartialReplayException.class);
          PartialReplayException partial = (PartialReplayException) t;
          assertThat(partial.replayed()).isBetween(200, N - 1);
          assertThat(partial.replayed() + partial.notAttempted()).isEqualTo(N);
          assertThat(partial.agentType()).isEqualTo(Q);
          assertThat(partial.getCause()).isInstanceOf(RedisUnavailableException.class);
          assertThat(partial.getMessage()).contains("stopped after " + partial.replayed() + " replayed",
              partial.notAttempted() + " not replayed", "Redis");

          server.restart();
          // the AOF kept every replay Redis acknowledged; the failed call's own replay may have landed
          long stillDead = waitForAnswer(() -> raw.zcard(k.dead(Q)).get(5, TimeUnit.SECONDS));
          assertThat(stillDead).isBetween((long) partial.notAttempted() - 1, (long) partial.notAttempted());
          assertThat(raw.xlen(k.stream(Q)).get(5, TimeUnit.SECONDS)).isEqualTo(N - stillDead);

          assertThat(waitForAnswer(() -> (long) baton.inspector().replayAll(Q))).isEqualTo(stillDead);
          assertThat(raw.zcard(k.dead(Q)).get(5, TimeUnit.SECONDS)).isZero();
          assertThat(raw.xlen(k.stream(Q)).get(5, TimeUnit.SECONDS)).isEqualTo(N);
        }
      } finally {
        rc.shutdown();
      }
    }
  }

  interface Call {
    long run() throws Exception;
  }

  /** The clients reconnect on their own after the restart: retry until they have. */
  private static long waitForAnswer(Call call) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        return call.run();
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }
}
