package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.testkit.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * F6, the "no thread or connection leak" part: redis-server is killed with SIGKILL and restarted
 * six times while a worker (two agent types) and a producer waiting for results use it. After each
 * restart the worker finishes a fresh batch of tasks, and then the process has the same platform
 * threads (by name, carrier threads of virtual threads aside) and Redis the same number of client
 * connections as after the first restart (which starts Lettuce's lazily created event executors;
 * the Redis connections are also compared with those before any restart).
 *
 * <p>Protections checked: reconnection reuses each connection instead of opening a new one beside
 * it (a leak shows as one more Redis client per restart); loops that survive errors without
 * spawning replacement threads (a leak shows as one more thread per restart).
 *
 * <p>{@code @Isolated}: it counts the threads of the whole JVM, so no other test class may run
 * beside it (JUnit runs it at the end, alone).
 */
@Isolated
class RedisRestartLeakIT {
  private static final List<String> TYPES = List.of("leak-a", "leak-b");
  private static final int RESTARTS = 6;
  private static final int BATCH = 20;

  private record Footprint(Map<String, Integer> threadsByName, long redisClients) {}

  @Test
  void repeatedRedisRestartsLeakNoThreadAndNoConnection() throws Exception {
    try (RedisServer server = RedisServer.start(RedisServer.Persistence.AOF_ALWAYS)) {
      BatonClient baton = BatonClient.connect(BatonConfig.builder().redisUri(server.uri()).keyPrefix("leak").build());
      Worker.Builder builder = Worker.builder(baton).recoverInterval(Duration.ofMillis(200));
      for (String type : TYPES) {
        builder.handle(type, HandlerOptions.withConcurrency(4).lease(Duration.ofSeconds(2)), ctx -> "ok");
      }
      Worker worker = builder.build().start();
      RedisClient rc = RedisClient.create(server.uri());
      try {
        runBatch(baton);
        long clientsBefore = redisClients(rc);
        // the first restart warms pools that start lazily (Lettuce's event executors): the baseline
        restartRedis(server, 0);
        runBatch(baton);
        Footprint before = footprint(rc);
        List<Footprint> after = new ArrayList<>();
        for (int i = 1; i < RESTARTS; i++) {
          restartRedis(server, i);
          runBatch(baton);
          after.add(footprint(rc));
        }
        System.out.printf("RedisRestartLeakIT: before %s; after each restart %s%n", before, after);
        assertThat(before.redisClients()).as("worker and producer connected").isGreaterThanOrEqualTo(TYPES.size() + 1)
            .isEqualTo(clientsBefore);
        for (Footprint f : after) {
          assertThat(f.redisClients()).as("Redis clients after a restart").isEqualTo(before.redisClients());
          // a leak is growth: a pool thread that ended while idle (Netty's globalEventExecutor) is none
          f.threadsByName().forEach((name, n) -> assertThat(n)
              .as("platform threads named %s after a restart (before: %s, after: %s)", name, before.threadsByName(),
                  f.threadsByName())
              .isLessThanOrEqualTo(before.threadsByName().getOrDefault(name, 0)));
        }
      } finally {
        rc.shutdown();
        worker.shutdown(Duration.ofSeconds(5));
        baton.close();
      }
    }
  }

  private static void restartRedis(RedisServer server, int i) throws InterruptedException {
    server.kill();
    Thread.sleep(300 + 200L * (i % 3)); // down for 0.3 to 0.7 s
    server.restart();
  }

  /** Enqueues a batch on each agent type and waits until every task succeeded. */
  private static void runBatch(BatonClient baton) throws Exception {
    List<String> ids = new ArrayList<>();
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> {
      for (String type : TYPES) {
        for (int i = 0; i < BATCH; i++) {
          ids.add(baton.dispatcher().enqueue(TaskRequest.builder(type).build()).id());
        }
      }
      return true;
    });
    for (String id : ids) {
      assertThat(baton.dispatcher().awaitResult(id, Duration.ofSeconds(20)).state()).isEqualTo(TaskState.SUCCEEDED);
    }
  }

  /**
   * Live platform threads by name (numbers in names ignored, so a replacement thread counts as the
   * same thread and a leaked one shows as a higher count) and Redis's client connections other than
   * the one asking. Waits for both to settle: a reconnect in progress is not a leak.
   */
  private static Footprint footprint(RedisClient rc) throws InterruptedException {
    Footprint last = null;
    for (int i = 0; i < 40; i++) {
      Footprint now = new Footprint(threads(), redisClients(rc));
      if (now.equals(last)) {
        return now;
      }
      last = now;
      Thread.sleep(250);
    }
    return last;
  }

  private static Map<String, Integer> threads() {
    Map<String, Integer> byName = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && !t.isVirtual() && !t.getName().startsWith("ForkJoinPool-")) {
        byName.merge(t.getName().replaceAll("\\d+", "#"), 1, Integer::sum);
      }
    }
    return byName;
  }

  private static long redisClients(RedisClient rc) {
    try (StatefulRedisConnection<String, String> conn = rc.connect()) {
      RedisCommands<String, String> raw = conn.sync();
      return raw.clientList().lines().filter(l -> !l.isBlank()).count() - 1;
    }
  }
}
