package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * F6/F7: redis-server (AOF, appendfsync always) is killed with SIGKILL while a worker works
 * through a few hundred short tasks, and restarted a second later (or, in the second test, eight
 * seconds later), with an empty script cache. Every task
 * ends succeeded, none is lost or stuck, the worker consumes again within 5 s of Redis being back,
 * no task fails on NOSCRIPT, and only tasks in flight at the crash may have run twice.
 *
 * <p>Protections checked: AOF persistence of the enqueue, start and complete scripts (else tasks
 * are lost: never succeeded); reconnect and retry in every worker loop, with the heartbeat retrying
 * within a heartbeat interval (else the worker stops consuming, or leases run out and tasks run
 * twice); the NOSCRIPT reload in ScriptRunner (else every script call fails after the restart and
 * tasks stay queued or running); fenced, idempotent start and complete (else a replayed command
 * starts or records a task twice).
 */
class RedisRestartIT {
  private static final String Q = "restart";
  private static final int CONCURRENCY = 8;
  private static final Duration LEASE = Duration.ofSeconds(3);

  @Test
  void aWorkerSurvivesRedisKilledAndRestartedASecondLaterMidRunLosingNothing() throws Exception {
    killRedisMidRun(300, Duration.ofMillis(5), Duration.ofSeconds(1));
  }

  /**
   * The long end of F6 (restart after up to 10 s): longer than the lease and the command timeout,
   * and long enough for the client's reconnect backoff to grow (unbounded, Lettuce's default waits
   * up to 30 s between attempts: after 10 s down the next attempt came 7 s after Redis was back).
   */
  @Test
  void aWorkerResumesWithinFiveSecondsAfterRedisWasDownForTenSeconds() throws Exception {
    killRedisMidRun(60, Duration.ofMillis(100), Duration.ofSeconds(10));
  }

  private void killRedisMidRun(int tasks, Duration work, Duration outage) throws Exception {
    assertThat(RedisServer.binary()).as("redis-server installed").isNotNull();
    try (RedisServer server = RedisServer.start(true)) {
      String prefix = "rr" + Long.toString(System.nanoTime(), 36);
      BatonClient baton = BatonClient.connect(BatonConfig.builder().redisUri(server.uri()).keyPrefix(prefix).build());
      Keys k = new Keys(prefix);
      Map<String, List<Long>> runs = new ConcurrentHashMap<>();
      Worker worker = Worker.builder(baton)
          .recoverInterval(Duration.ofMillis(200))
          .handle(Q, HandlerOptions.withConcurrency(CONCURRENCY).lease(LEASE), ctx -> {
            runs.computeIfAbsent(ctx.taskId(), id -> new CopyOnWriteArrayList<>()).add(System.nanoTime());
            Thread.sleep(work);
            return "ok";
          })
          .build()
          .start();
      try {
        List<TaskRequest> requests = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
          requests.add(TaskRequest.builder(Q).payloadJson("{\"i\":" + i + "}").build());
        }
        List<String> ids = baton.dispatcher().enqueueAll(requests).stream().map(EnqueueResult::id).toList();
        assertThat(Set.copyOf(ids)).hasSize(tasks);

        await().atMost(Duration.ofSeconds(20)).until(() -> runs.size() >= tasks / 3);
        Set<String> succeededBefore = succeeded(server, k, ids);
        long killedAt = System.nanoTime();
        server.kill();
        Set<String> startedBefore = runs.entrySet().stream()
            .filter(e -> e.getValue().get(0) < killedAt).map(Map.Entry::getKey).collect(Collectors.toSet());
        assertThat(succeededBefore.size()).as("killed mid-run").isLessThan(tasks);
        await().during(outage).atMost(outage.plusSeconds(1)).until(() -> !server.isRunning());

        server.restart();
        long restartedAt = System.nanoTime();
        RedisClient rc = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> conn = rc.connect()) {
          RedisCommands<String, String> raw = conn.sync();
          long succeededAtRestart = parse(raw.hget(k.stats(Q), "succeeded"));
          assertThat(succeededAtRestart).as("the AOF kept every acknowledged completion")
              .isGreaterThanOrEqualTo(succeededBefore.size());

          // the worker consumes again: a task finishes, and a task never run before starts
          AtomicLong firstFinished = new AtomicLong();
          await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
            if (parse(raw.hget(k.stats(Q), "succeeded")) > succeededAtRestart) {
              firstFinished.compareAndSet(0, System.nanoTime());
            }
            return firstFinished.get() != 0;
          });
          Duration resumed = Duration.ofNanos(firstFinished.get() - restartedAt);
          long firstNewStart = await().atMost(Duration.ofSeconds(10)).until(() -> runs.entrySet().stream()
              .filter(e -> !startedBefore.contains(e.getKey())).mapToLong(e -> e.getValue().get(0))
              .filter(t -> t > restartedAt).min().orElse(0), t -> t != 0);
          Duration consuming = Duration.ofNanos(firstNewStart - restartedAt);
          assertThat(resumed).isLessThanOrEqualTo(Duration.ofSeconds(5));
          assertThat(consuming).isLessThanOrEqualTo(Duration.ofSeconds(5));

          // none lost, none stuck, none failed
          for (String id : ids) {
            TaskInfo t = baton.dispatcher().awaitResult(id, Duration.ofSeconds(20));
            assertThat(t.state()).as("task %s", id).isEqualTo(TaskState.SUCCEEDED);
            assertThat(t.history()).as("no failed attempt (no NOSCRIPT, no error) for %s", id)
                .allSatisfy(h -> assertThat(h.succeeded()).isTrue());
          }
          QueueStats stats = baton.inspector().stats(Q);
          assertThat(stats.succeeded()).isEqualTo(tasks);
          assertThat(stats.dead()).isZero();
          assertThat(raw.hget(k.stats(Q), "retried")).isNull();
          assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
          assertThat(runs.keySet()).containsExactlyInAnyOrderElementsOf(ids);

          // the script cache was empty after the restart: the scripts were reloaded on NOSCRIPT
          String errorStats = raw.info("errorstats");
          String commandStats = raw.info("commandstats");
          assertThat(errorStats).contains("errorstat_NOSCRIPT");
          assertThat(commandStats).contains("cmdstat_script|load");

          // only tasks in flight at the crash ran twice
          Set<String> ranTwice = runs.entrySet().stream().filter(e -> e.getValue().size() > 1)
              .map(Map.Entry::getKey).collect(Collectors.toSet());
          Set<String> inFlightAtCrash = new HashSet<>(startedBefore);
          inFlightAtCrash.removeAll(succeededBefore);
          assertThat(ranTwice).isSubsetOf(inFlightAtCrash);
          assertThat(ranTwice).hasSizeLessThanOrEqualTo(CONCURRENCY);
          for (String id : ranTwice) {
            assertThat(baton.inspector().task(id).deliveries()).isGreaterThanOrEqualTo(2);
          }

          System.out.printf("RedisRestartIT: killed after %d/%d recorded (%d started); down %d ms; "
                  + "first task finished %d ms and first new task started %d ms after Redis was back; "
                  + "ran twice: %d (in flight at the crash: at most %d); recovered by lease: %s; %s; %s%n",
              succeededBefore.size(), tasks, startedBefore.size(), Duration.ofNanos(restartedAt - killedAt).toMillis(),
              resumed.toMillis(), consuming.toMillis(), ranTwice.size(), inFlightAtCrash.size(),
              raw.hget(k.stats(Q), "recovered"), line(errorStats, "errorstat_NOSCRIPT"),
              line(commandStats, "cmdstat_script|load"));
        } finally {
          rc.shutdown();
        }
      } finally {
        worker.shutdown(Duration.ofSeconds(5));
        baton.close();
      }
    }
  }

  /** Ids of {@code ids} whose record says succeeded, read in one pipelined batch. */
  private static Set<String> succeeded(RedisServer server, Keys k, List<String> ids) throws Exception {
    RedisClient rc = RedisClient.create(server.uri());
    try (StatefulRedisConnection<String, String> conn = rc.connect()) {
      RedisAsyncCommands<String, String> async = conn.async();
      List<Future<String>> states = new ArrayList<>();
      for (String id : ids) {
        states.add(async.hget(k.task(Q, id), "st"));
      }
      Set<String> done = new HashSet<>();
      for (int i = 0; i < ids.size(); i++) {
        if ("succeeded".equals(states.get(i).get(5, TimeUnit.SECONDS))) {
          done.add(ids.get(i));
        }
      }
      return done;
    } finally {
      rc.shutdown();
    }
  }

  private static long parse(String v) {
    return v == null ? 0 : Long.parseLong(v);
  }

  private static String line(String info, String prefix) {
    return info.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse(prefix + " (none)");
  }
}
