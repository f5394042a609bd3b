package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.WorkerMain;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.PendingMessage;
import io.lettuce.core.models.stream.PendingMessages;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A worker JVM killed with SIGKILL mid-task loses nothing: what it was running stays pending in the
 * consumer group, marked running, and everything else stays queued. (Handing the pending tasks to
 * another worker is the recoverer's job, tested with it.)
 */
class WorkerCrashIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "crashy";
  private static final int CONCURRENCY = 4;
  private static final int TASKS = 20;

  @Test
  void aKilledWorkerLeavesItsRunningTasksPendingAndLosesNothing() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    RunningWorker w = startWorkerAndEnqueue(baton);
    Process worker = w.process();
    Set<String> running = w.running();
    AtomicReference<String> consumer = w.consumer();
    Set<String> ids = w.ids();

    worker.destroyForcibly(); // SIGKILL: no shutdown hook, no grace, no outcome written
    assertThat(worker.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(worker.exitValue()).isEqualTo(128 + 9);

    // what it was running is still pending, owned by the dead consumer, and marked running
    assertThat(running).hasSize(CONCURRENCY);
    PendingMessages summary = raw.xpending(k.stream(Q), Keys.GROUP);
    assertThat(summary.getCount()).isEqualTo(CONCURRENCY);
    assertThat(summary.getConsumerMessageCount()).isEqualTo(Map.of(consumer.get(), (long) CONCURRENCY));
    Set<String> pendingEntries = raw.xpending(k.stream(Q), Keys.GROUP, Range.create("-", "+"), Limit.from(100))
        .stream().map(PendingMessage::getId).collect(Collectors.toSet());
    Set<String> runningEntries = new HashSet<>();
    for (String id : running) {
      Map<String, String> rec = raw.hgetall(k.task(Q, id));
      assertThat(rec).containsEntry("st", "running").containsEntry("own", consumer.get())
          .containsEntry("att", "1").containsEntry("dlv", "1");
      runningEntries.add(rec.get("eid"));
    }
    assertThat(runningEntries).isEqualTo(pendingEntries);

    // everything else is still queued, with its entry in the stream; nothing finished
    assertThat(ids).containsAll(running);
    for (String id : ids) {
      if (!running.contains(id)) {
        assertThat(raw.hgetall(k.task(Q, id))).containsEntry("st", "queued").containsEntry("dlv", "0");
      }
    }
    assertThat(raw.xlen(k.stream(Q))).isEqualTo(TASKS);
    assertThat(raw.zcard(k.dead(Q))).isZero();
    QueueStats stats = baton.inspector().stats(Q);
    assertThat(stats.succeeded()).isZero();
    assertThat(stats.running()).isEqualTo(CONCURRENCY);
    assertThat(stats.queued()).isEqualTo(TASKS - CONCURRENCY);
  }

  @Test
  void aKilledWorkersTasksRunAgainOnAnotherWorkerWithinLeasePlusFiveSeconds() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    RunningWorker w = startWorkerAndEnqueue(baton);
    Process worker = w.process();
    Set<String> running = w.running();
    Set<String> ids = w.ids();

    worker.destroyForcibly();
    assertThat(worker.waitFor(10, TimeUnit.SECONDS)).isTrue();
    long killedAt = System.nanoTime();

    // a healthy worker whose recoverer uses a 2 s lease takes the dead worker's tasks over
    Duration lease = Duration.ofSeconds(2);
    Map<String, Long> rerunAt = new ConcurrentHashMap<>();
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, HandlerOptions.withConcurrency(8).lease(lease), ctx -> {
          if (running.contains(ctx.taskId())) {
            rerunAt.putIfAbsent(ctx.taskId(), System.nanoTime());
          }
          return "ok";
        })
        .build()
        .start());
    for (String id : ids) {
      assertThat(baton.dispatcher().awaitResult(id, Duration.ofSeconds(30)).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    assertThat(rerunAt.keySet()).isEqualTo(running);
    for (long at : rerunAt.values()) {
      assertThat(Duration.ofNanos(at - killedAt)).isLessThanOrEqualTo(lease.plusSeconds(5));
    }
    for (String id : running) {
      TaskInfo t = baton.inspector().task(id);
      assertThat(t.deliveries()).isEqualTo(2);
      assertThat(t.attempts()).as("the crashed attempt is not counted").isEqualTo(1);
      assertThat(raw.hget(k.task(Q, id), "nol")).isEqualTo("1");
    }
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(baton.inspector().stats(Q).succeeded()).isEqualTo(TASKS);
    assertThat(raw.hget(k.stats(Q), "recovered")).isEqualTo(Integer.toString(CONCURRENCY));
  }

  private record RunningWorker(Process process, AtomicReference<String> consumer, Set<String> running,
      Set<String> ids) {}

  /** Starts a worker JVM, enqueues the tasks and waits until it runs {@code CONCURRENCY} of them. */
  private RunningWorker startWorkerAndEnqueue(BatonClient baton) throws IOException {
    Path stderr = Files.createTempFile("baton-worker-", ".log");
    Process worker = new ProcessBuilder(javaBinary(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
            "-cp", System.getProperty("java.class.path"), WorkerMain.class.getName(),
            redis.uri(), redis.prefix(), Q, Integer.toString(CONCURRENCY))
        .redirectError(stderr.toFile())
        .start();
    redis.closeAfter(() -> {
      worker.destroyForcibly();
      worker.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(stderr);
    });
    Set<String> running = ConcurrentHashMap.newKeySet();
    AtomicReference<String> consumer = new AtomicReference<>();
    Thread.ofVirtual().start(() -> readMarkers(worker, consumer, running));
    await().atMost(Duration.ofSeconds(60)).failFast("worker exited", () -> !worker.isAlive())
        .until(() -> consumer.get() != null);
    List<TaskRequest> requests = new ArrayList<>();
    for (int i = 0; i < TASKS; i++) {
      requests.add(TaskRequest.builder(Q).payloadJson("{\"i\":" + i + "}").build());
    }
    Set<String> ids = baton.dispatcher().enqueueAll(requests).stream().map(EnqueueResult::id).collect(Collectors.toSet());
    await().atMost(Duration.ofSeconds(30)).failFast("worker exited", () -> !worker.isAlive())
        .until(() -> running.size() >= CONCURRENCY);
    return new RunningWorker(worker, consumer, running, ids);
  }

  private static void readMarkers(Process worker, AtomicReference<String> consumer, Set<String> running) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("CONSUMER ")) {
          consumer.set(line.substring("CONSUMER ".length()));
        } else if (line.startsWith("RUNNING ")) {
          running.add(line.substring("RUNNING ".length()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The java launcher running this test, so the worker runs on the same JDK. */
  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
  }
}
