package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A task that has not started can be cancelled, and then never runs; other states are left alone. */
class CancelIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<String> ran = new CopyOnWriteArrayList<>();

  @Test
  void cancelledScheduledTaskNeverRuns() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).delay(Duration.ofMillis(300)).build()).id();
    assertThat(baton.inspector().task(id).state()).isEqualTo(TaskState.SCHEDULED);

    assertThat(baton.dispatcher().cancel(id)).isEqualTo(TaskState.CANCELLED);

    assertThat(redis.raw().zscore(k.delayed(Q), id)).isNull();
    startWorker(baton);
    // due after the cancelled one: once it ran, the cancelled one was due too and was not promoted
    proveWorkerIsLive(baton, Duration.ofMillis(400));
    assertCancelledAndNeverRan(baton, id);
  }

  @Test
  void cancelledQueuedTaskNeverRuns() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    assertThat(baton.inspector().task(id).state()).isEqualTo(TaskState.QUEUED);

    assertThat(baton.dispatcher().cancel(Q, id)).isEqualTo(TaskState.CANCELLED);

    assertThat(redis.raw().xlen(k.stream(Q))).isZero(); // the undelivered entry is gone
    startWorker(baton);
    proveWorkerIsLive(baton, Duration.ZERO);
    assertCancelledAndNeverRan(baton, id);
  }

  @Test
  void cancelledRetryingTaskNeverRunsAgain() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    redis.closeAfter(Worker.builder(baton)
        .random(() -> 0.999) // backoff = the full ceiling: 1 s
        .handle(Q, ctx -> {
          ran.add(ctx.taskId());
          if (ctx.payloadJson().contains("fail")) {
            throw new IllegalStateException("try again");
          }
          return "ok";
        })
        .build()
        .start());
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q)
        .payloadJson("{\"fail\":true}")
        .maxAttempts(3)
        .retryPolicy(RetryPolicy.exponential(Duration.ofSeconds(1), 2.0, Duration.ofSeconds(1)))
        .build()).id();
    await().atMost(WAIT).pollInterval(Duration.ofMillis(10))
        .until(() -> baton.inspector().task(id).state() == TaskState.RETRYING);
    assertThat(redis.raw().zscore(k.delayed(Q), id)).isNotNull();

    assertThat(baton.dispatcher().cancel(id)).isEqualTo(TaskState.CANCELLED);

    assertThat(redis.raw().zscore(k.delayed(Q), id)).isNull();
    // due after the retry would have been: once it ran, the retry was due and was not promoted
    proveWorkerIsLive(baton, Duration.ofMillis(1100));
    TaskInfo info = baton.inspector().task(id);
    assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(info.attempts()).isEqualTo(1);
    assertThat(ran).containsOnlyOnce(id);
  }

  @Test
  void cancelLeavesARunningTaskAlone() throws Exception {
    BatonClient baton = redis.client();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, ctx -> {
          started.countDown();
          release.await();
          return "done";
        })
        .build()
        .start());
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(baton.dispatcher().cancel(id)).isEqualTo(TaskState.RUNNING);

    assertThat(baton.inspector().task(id).state()).isEqualTo(TaskState.RUNNING);
    release.countDown();
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"done\"");
  }

  @Test
  void cancelLeavesFinishedTasksAlone() throws Exception {
    BatonClient baton = redis.client();
    startWorker(baton);
    String ok = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    String dead = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"fail\":true}").build()).id();
    TaskInfo okBefore = baton.dispatcher().awaitResult(ok, WAIT);
    TaskInfo deadBefore = baton.dispatcher().awaitResult(dead, WAIT);
    assertThat(deadBefore.state()).isEqualTo(TaskState.DEAD);

    assertThat(baton.dispatcher().cancel(ok)).isEqualTo(TaskState.SUCCEEDED);
    assertThat(baton.dispatcher().cancel(Q, dead)).isEqualTo(TaskState.DEAD);

    assertThat(baton.inspector().task(ok)).isEqualTo(okBefore);
    assertThat(baton.inspector().task(dead)).isEqualTo(deadBefore);
    assertThat(baton.inspector().deadLetters(Q, 0, 10)).extracting(TaskInfo::id).containsExactly(dead);

    // a cancelled task cannot be cancelled twice either
    String scheduled = baton.dispatcher().enqueue(TaskRequest.builder(Q).delay(Duration.ofMinutes(5)).build()).id();
    assertThat(baton.dispatcher().cancel(scheduled)).isEqualTo(TaskState.CANCELLED);
    TaskInfo cancelled = baton.inspector().task(scheduled);
    assertThat(baton.dispatcher().cancel(scheduled)).isEqualTo(TaskState.CANCELLED);
    assertThat(baton.inspector().task(scheduled)).isEqualTo(cancelled);
    assertThat(baton.inspector().stats(Q).cancelled()).isEqualTo(1);
  }

  @Test
  void cancelOfAnUnknownTaskThrows() {
    BatonClient baton = redis.client();
    baton.dispatcher().enqueue(TaskRequest.builder(Q).build()); // the queue exists
    assertThatThrownBy(() -> baton.dispatcher().cancel("no-such-task")).isInstanceOf(TaskNotFoundException.class);
    assertThatThrownBy(() -> baton.dispatcher().cancel(Q, "no-such-task")).isInstanceOf(TaskNotFoundException.class);
    assertThatThrownBy(() -> baton.dispatcher().cancel("not a valid id")).isInstanceOf(TaskNotFoundException.class);
    assertThat(redis.raw().exists(new Keys(redis.prefix()).task(Q, "no-such-task"))).isZero();
  }

  @Test
  void awaitResultReturnsTheCancelledRecord() throws Exception {
    BatonClient baton = redis.client();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"n\":7}").build()).id();
    CompletableFuture<TaskInfo> waiting = baton.dispatcher().result(id);
    assertThat(waiting).isNotDone();

    baton.dispatcher().cancel(id);

    TaskInfo viaFuture = waiting.get(10, TimeUnit.SECONDS);
    TaskInfo viaAwait = baton.dispatcher().awaitResult(id, WAIT);
    for (TaskInfo info : List.of(viaFuture, viaAwait)) {
      assertThat(info.id()).isEqualTo(id);
      assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
      assertThat(info.finishedAt()).isNotNull();
      assertThat(info.attempts()).isZero();
      assertThat(info.payloadJson()).isEqualTo("{\"n\":7}");
    }
  }

  private void startWorker(BatonClient baton) {
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, ctx -> {
          ran.add(ctx.taskId());
          if (ctx.payloadJson().contains("fail")) {
            throw new NonRetryableException("failing on purpose");
          }
          return "ok";
        })
        .build()
        .start());
  }

  /** A task enqueued now (due after {@code delay}) runs to success. */
  private void proveWorkerIsLive(BatonClient baton, Duration delay) throws Exception {
    TaskRequest.Builder b = TaskRequest.builder(Q).payloadJson("{\"later\":true}");
    if (!delay.isZero()) {
      b.delay(delay);
    }
    String later = baton.dispatcher().enqueue(b.build()).id();
    assertThat(baton.dispatcher().awaitResult(later, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(ran).contains(later);
  }

  private void assertCancelledAndNeverRan(BatonClient baton, String id) {
    TaskInfo info = baton.inspector().task(id);
    assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(info.attempts()).isZero();
    assertThat(info.deliveries()).isZero();
    assertThat(info.finishedAt()).isNotNull();
    assertThat(ran).doesNotContain(id);
    Keys k = new Keys(redis.prefix());
    assertThat(redis.raw().xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(redis.raw().xlen(k.stream(Q))).isZero();
  }
}
