package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testkit.RedisServer;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * F6/F7: redis-server (AOF, appendfsync always) is killed with SIGKILL while a worker works through
 * its tasks, and restarted a second later (or, in the second test, ten seconds later) with an empty
 * script cache. Every task ends succeeded: none lost, none stuck; the worker consumes again within
 * 5 s of Redis being back; no task fails on NOSCRIPT; and the only tasks that run twice are tasks
 * in flight at the crash, read exactly from a copy of the AOF the crash left.
 *
 * <p>Protections checked: AOF persistence of the enqueue, start and complete scripts (else tasks
 * are lost: never succeeded); reconnect and retry in every worker loop, with a reconnect backoff
 * capped at a second (else the worker resumes late: 7 s after a 10 s outage with Lettuce's default);
 * the NOSCRIPT reload in ScriptRunner (else every script call fails after the restart and tasks
 * stay queued or running); fenced, idempotent start and complete (else a replayed command starts
 * or records a task twice, or a task recorded before the crash runs again).
 *
 * <p>Runs beside the other test classes ({@code @Execution(CONCURRENT)}): it mostly waits for real
 * outages of 1 and 10 s, on its own redis-server.
 */
@Execution(ExecutionMode.CONCURRENT)
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
    try (RedisServer server = RedisServer.start(RedisServer.Persistence.AOF_ALWAYS)) {
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
        long killedAt = System.nanoTime();
        server.kill();
        // what the crash left, read from a copy of the AOF while the server stays down
        CrashState crash = crashState(server, k, ids);
        assertThat(crash.succeeded.size()).as("killed mid-run").isBetween(1, tasks - 1);
        await().atMost(outage.plusSeconds(1)).until(() -> System.nanoTime() - killedAt >= outage.toNanos());
        assertThat(server.isRunning()).isFalse();

        server.restart();
        long restartedAt = System.nanoTime();
        RedisClient rc = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> conn = rc.connect()) {
          RedisCommands<String, String> raw = conn.sync();

          // the worker consumes again: a task finishes, and a task never delivered before starts
          long succeededAtCrash = crash.succeeded.size();
          AtomicLong firstFinished = new AtomicLong();
          await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
            if (parse(raw.hget(k.stats(Q), "succeeded")) > succeededAtCrash) {
              firstFinished.compareAndSet(0, System.nanoTime());
            }
            return firstFinished.get() != 0;
          });
          Duration resumed = Duration.ofNanos(firstFinished.get() - restartedAt);
          long firstNewStart = await().atMost(Duration.ofSeconds(10)).until(() -> runs.entrySet().stream()
              .filter(e -> crash.undelivered.contains(e.getKey())).mapToLong(e -> e.getValue().get(0))
              .min().orElse(0), t -> t != 0);
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
          Duration allDone = Duration.ofNanos(System.nanoTime() - restartedAt);
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

          // only tasks in flight at the crash (delivered, not acknowledged) ran twice; nothing
          // recorded before the crash ran again
          Set<String> ranTwice = runs.entrySet().stream().filter(e -> e.getValue().size() > 1)
              .map(Map.Entry::getKey).collect(Collectors.toSet());
          assertThat(ranTwice).isSubsetOf(crash.inFlight).doesNotContainAnyElementsOf(crash.succeeded);
          for (String id : ranTwice) {
            assertThat(baton.inspector().task(id).deliveries()).isGreaterThanOrEqualTo(2);
          }

          System.out.printf("RedisRestartIT: killed with %d/%d recorded, %d in flight; down %d ms; "
                  + "first task finished %d ms and first undelivered task started %d ms after Redis was back, "
                  + "all done after %d ms; ran twice: %d (all in flight at the crash); recovered by lease: %s; "
                  + "%s; %s%n",
              crash.succeeded.size(), tasks, crash.inFlight.size(), Duration.ofNanos(restartedAt - killedAt).toMillis(),
              resumed.toMillis(), consuming.toMillis(), allDone.toMillis(), ranTwice.size(),
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

  /**
   * The tasks' states at the crash: succeeded; in flight (running, or their entry delivered and not
   * acknowledged); undelivered (queued, entry not delivered yet).
   */
  private record CrashState(Set<String> succeeded, Set<String> inFlight, Set<String> undelivered) {}

  private static CrashState crashState(RedisServer crashed, Keys k, List<String> ids) {
    try (RedisServer copy = crashed.startCopy()) {
      RedisClient rc = RedisClient.create(copy.uri());
      try (StatefulRedisConnection<String, String> conn = rc.connect()) {
        RedisCommands<String, String> raw = conn.sync();
        Set<String> pending = raw.xpending(k.stream(Q), Keys.GROUP, Range.create("-", "+"), Limit.from(100_000))
            .stream().map(PendingMessage::getId).collect(Collectors.toSet());
        CrashState state = new CrashState(new HashSet<>(), new HashSet<>(), new HashSet<>());
        for (String id : ids) {
          List<KeyValue<String, String>> f = raw.hmget(k.task(Q, id), "st", "eid");
          String st = f.get(0).getValueOrElse(null);
          String eid = f.get(1).getValueOrElse(null);
          if ("succeeded".equals(st)) {
            state.succeeded.add(id);
          } else if ("running".equals(st) || pending.contains(eid)) {
            state.inFlight.add(id);
          } else {
            assertThat(st).as("state of %s at the crash", id).isEqualTo("queued");
            state.undelivered.add(id);
          }
        }
        return state;
      } finally {
        rc.shutdown();
      }
    }
  }

  private static long parse(String v) {
    return v == null ? 0 : Long.parseLong(v);
  }

  private static String line(String info, String prefix) {
    return info.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse(prefix + " (none)");
  }
}
