package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.TestJvms;
import dev.baton.testing.WorkerMain;
import dev.baton.testkit.WorkerJvm;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.PendingMessage;
import io.lettuce.core.models.stream.PendingMessages;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    WorkerJvm worker = w.jvm();
    Set<String> running = w.running();
    String consumer = w.consumer();
    Set<String> ids = w.ids();

    worker.kill(); // SIGKILL: no shutdown hook, no grace, no outcome written
    assertThat(worker.exitCode()).hasValue(128 + 9);

    // what it was running is still pending, owned by the dead consumer, and marked running
    assertThat(running).hasSize(CONCURRENCY);
    PendingMessages summary = raw.xpending(k.stream(Q), Keys.GROUP);
    assertThat(summary.getCount()).isEqualTo(CONCURRENCY);
    assertThat(summary.getConsumerMessageCount()).isEqualTo(Map.of(consumer, (long) CONCURRENCY));
    Set<String> pendingEntries = raw.xpending(k.stream(Q), Keys.GROUP, Range.create("-", "+"), Limit.from(100))
        .stream().map(PendingMessage::getId).collect(Collectors.toSet());
    Set<String> runningEntries = new HashSet<>();
    for (String id : running) {
      Map<String, String> rec = raw.hgetall(k.task(Q, id));
      assertThat(rec).containsEntry("st", "running").containsEntry("own", consumer)
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
    Set<String> running = w.running();
    Set<String> ids = w.ids();

    w.jvm().kill();
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

  private record RunningWorker(WorkerJvm jvm, String consumer, Set<String> running, Set<String> ids) {}

  /** Starts a worker JVM, enqueues the tasks and waits until it runs {@code CONCURRENCY} of them. */
  private RunningWorker startWorkerAndEnqueue(BatonClient baton) throws IOException {
    WorkerJvm worker = redis.closeAfter(TestJvms.start(WorkerMain.class, redis.uri(), redis.prefix(), Q,
        Integer.toString(CONCURRENCY)));
    await().atMost(Duration.ofSeconds(60)).failFast("worker exited", () -> !worker.isAlive())
        .until(() -> worker.marker("CONSUMER ").isPresent());
    List<TaskRequest> requests = new ArrayList<>();
    for (int i = 0; i < TASKS; i++) {
      requests.add(TaskRequest.builder(Q).payloadJson("{\"i\":" + i + "}").build());
    }
    Set<String> ids = baton.dispatcher().enqueueAll(requests).stream().map(EnqueueResult::id).collect(Collectors.toSet());
    await().atMost(Duration.ofSeconds(30)).failFast("worker exited", () -> !worker.isAlive())
        .until(() -> running(worker).size() >= CONCURRENCY);
    return new RunningWorker(worker, worker.value("CONSUMER ").orElseThrow(), running(worker), ids);
  }

  /** The tasks the worker printed {@code RUNNING <task id>} for. */
  private static Set<String> running(WorkerJvm worker) {
    return worker.markers().stream().map(WorkerJvm.Marker::line).filter(l -> l.startsWith("RUNNING "))
        .map(l -> l.substring("RUNNING ".length())).collect(Collectors.toSet());
  }
}
