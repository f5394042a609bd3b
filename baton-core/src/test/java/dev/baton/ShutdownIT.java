package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.models.stream.PendingMessage;
import io.lettuce.core.Range;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two-phase shutdown: stop fetching, let running tasks finish within the grace period, then
 * interrupt the rest without recording anything, so their entries stay pending for recovery.
 */
class ShutdownIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void tasksFinishingWithinTheGraceAreRecordedSucceeded() throws Exception {
    BatonClient baton = redis.client();
    CountDownLatch started = new CountDownLatch(3);
    Worker worker = Worker.builder(baton)
        .handle(Q, HandlerOptions.withConcurrency(3), ctx -> {
          started.countDown();
          Thread.sleep(300); // simulated work, well inside the grace period
          return "finished";
        })
        .build()
        .start();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id());
    }
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(worker.shutdown(Duration.ofSeconds(10))).isTrue();

    for (String id : ids) {
      TaskInfo t = baton.inspector().task(id);
      assertThat(t.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(t.resultJson()).isEqualTo("\"finished\"");
    }
    assertThat(pending(redis.raw())).isZero();
  }

  @Test
  void aTaskRunningPastTheGraceIsReleasedAtOnceToAnotherWorkerNotDoneNotLost() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    Worker worker = Worker.builder(baton)
        .handle(Q, ctx -> {
          started.countDown();
          try {
            Thread.sleep(60_000);
          } catch (InterruptedException e) {
            interrupted.set(true);
            throw e;
          }
          return "never";
        })
        .build()
        .start();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(1).build()).id();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    String heldEntry = raw.hget(k.task(Q, id), "eid");

    assertThat(worker.shutdown(Duration.ofMillis(200))).isFalse();

    assertThat(interrupted).isTrue();
    // released at once, without waiting out the lease: queued under a new entry, attempt not counted
    TaskInfo released = baton.inspector().task(id);
    assertThat(released.state()).isEqualTo(TaskState.QUEUED);
    assertThat(released.attempts()).isZero();
    assertThat(released.history()).isEmpty();
    assertThat(raw.hget(k.task(Q, id), "eid")).isNotEqualTo(heldEntry);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP, Range.create("-", "+"), Limit.from(10))).isEmpty();
    assertThat(raw.xlen(k.stream(Q))).isEqualTo(1);
    // nothing written by the interrupted handler, now or later: it has ended (its attempt let go of
    // its slot, after anything it could have written), and the record is as the release left it
    assertThat(worker.inFlight()).isZero();
    assertThat(baton.inspector().task(id)).isEqualTo(released);

    // another worker runs it, with its single attempt intact
    redis.closeAfter(Worker.builder(baton).handle(Q, ctx -> "second worker, attempt " + ctx.attempt()).build().start());
    TaskInfo done = baton.dispatcher().awaitResult(id, Duration.ofSeconds(10));
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"second worker, attempt 1\"");
    assertThat(done.deliveries()).isEqualTo(2);
  }

  @Test
  void noNewTaskIsFetchedOnceShutdownStarted() throws Exception {
    String q = "fetch-stop"; // no other test's worker serves it: its reader thread is this worker's
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
    Worker worker = Worker.builder(baton)
        .handle(q, HandlerOptions.withConcurrency(1), ctx -> {
          ran.add(ctx.taskId());
          started.countDown();
          release.await();
          return "done";
        })
        .build()
        .start();
    String first = baton.dispatcher().enqueue(TaskRequest.builder(q).build()).id();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    // waits for the only permit, which the first task holds
    String second = baton.dispatcher().enqueue(TaskRequest.builder(q).build()).id();

    CompletableFuture<Boolean> shutdown = CompletableFuture.supplyAsync(() -> worker.shutdown(Duration.ofSeconds(10)));
    // fetching has stopped once the reader thread is gone; only then does the first task end
    await().atMost(WAIT).until(() -> Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().equals("baton-processor-" + q)));
    String third = baton.dispatcher().enqueue(TaskRequest.builder(q).build()).id();
    release.countDown();

    assertThat(shutdown.get(15, TimeUnit.SECONDS)).isTrue();
    assertThat(baton.inspector().task(first).state()).isEqualTo(TaskState.SUCCEEDED);
    for (String id : List.of(second, third)) {
      TaskInfo t = baton.inspector().task(id);
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.deliveries()).isZero();
    }
    assertThat(ran).containsExactly(first);
    assertThat(raw.xpending(k.stream(q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xlen(k.stream(q))).isEqualTo(2);
    assertThat(raw.xinfoConsumers(k.stream(q), Keys.GROUP)).hasSize(1);
    assertThat(raw.xpending(k.stream(q), Consumer.from(Keys.GROUP, worker.consumerName()),
        Range.create("-", "+"), Limit.from(10))).isEmpty();
  }

  private long pending(RedisCommands<String, String> raw) {
    return raw.xpending(new Keys(redis.prefix()).stream(Q), Keys.GROUP).getCount();
  }
}
