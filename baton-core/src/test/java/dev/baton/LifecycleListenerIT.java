package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.TaskEvent.Kind;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.BreakerTransition;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.DependencyUnavailableException;
import dev.baton.resilience.LimitRefusal;
import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.RateLimit;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.ScriptDriver;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The lifecycle listener seam against a real worker: each step written to Redis is reported once,
 * after the write, with the task, attempt, worker and reason; a refused write reports nothing.
 */
class LifecycleListenerIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agents";
  private static final String DEP = "svc";
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** Records every event in arrival order. */
  static final class Recorder implements LifecycleListener {
    final Queue<TaskEvent> tasks = new ConcurrentLinkedQueue<>();
    final Queue<BreakerTransition> transitions = new ConcurrentLinkedQueue<>();
    final Queue<LimitRefusal> refusals = new ConcurrentLinkedQueue<>();

    @Override
    public void onTaskEvent(TaskEvent event) {
      tasks.add(event);
    }

    @Override
    public void onBreakerTransition(BreakerTransition transition) {
      transitions.add(transition);
    }

    @Override
    public void onLimitRefused(LimitRefusal refusal) {
      refusals.add(refusal);
    }

    List<TaskEvent> of(String id) {
      return tasks.stream().filter(e -> e.taskId().equals(id)).toList();
    }

    /**
     * The kinds reported for task {@code id}, with ENQUEUED first: the dispatcher reports it when
     * the enqueue's reply arrives, which may be after a worker already started the task.
     */
    List<Kind> kinds(String id) {
      List<Kind> all = of(id).stream().map(TaskEvent::kind).toList();
      List<Kind> out = new java.util.ArrayList<>(all.stream().filter(k -> k == Kind.ENQUEUED).toList());
      out.addAll(all.stream().filter(k -> k != Kind.ENQUEUED).toList());
      return out;
    }
  }

  private final Recorder recorder = new Recorder();

  private BatonClient client() {
    return redis.client(redis.config().listener(recorder).build());
  }

  @Test
  void successRetryDeadLetterAndCancelAreEachReportedOnceAfterTheirWrite() throws Exception {
    BatonClient baton = client();
    Worker worker = redis.closeAfter(Worker.builder(baton)
        .handle(Q, HandlerOptions.withConcurrency(4), ctx -> switch (ctx.payloadJson()) {
          case "\"flaky\"" -> {
            if (ctx.attempt() == 1) {
              throw new IllegalStateException("first try fails");
            }
            yield "ok";
          }
          case "\"bad\"" -> throw new NonRetryableException("cannot do this");
          default -> "ok";
        })
        .build()
        .start());
    RetryPolicy fast = RetryPolicy.exponential(Duration.ofMillis(10), 2.0, Duration.ofMillis(20));
    String ok = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("\"ok\"").build()).id();
    String flaky = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("\"flaky\"").retryPolicy(fast)
        .build()).id();
    String bad = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("\"bad\"").build()).id();
    String later = baton.dispatcher().enqueue(TaskRequest.builder(Q).delay(Duration.ofHours(1)).build()).id();
    // a duplicate enqueue creates nothing and reports nothing
    assertThat(baton.dispatcher().enqueue(TaskRequest.builder(Q).id(ok).payloadJson("\"ok\"").build()).created())
        .isFalse();
    assertThat(baton.dispatcher().cancel(later)).isEqualTo(TaskState.CANCELLED);
    assertThat(baton.dispatcher().cancel(later)).isEqualTo(TaskState.CANCELLED); // already cancelled: no event

    for (String id : List.of(ok, flaky, bad)) {
      baton.dispatcher().awaitResult(id, WAIT);
    }
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(recorder.kinds(ok)).containsExactly(Kind.ENQUEUED, Kind.STARTED, Kind.SUCCEEDED);
      assertThat(recorder.kinds(flaky))
          .containsExactly(Kind.ENQUEUED, Kind.STARTED, Kind.RETRYING, Kind.STARTED, Kind.SUCCEEDED);
      assertThat(recorder.kinds(bad)).containsExactly(Kind.ENQUEUED, Kind.STARTED, Kind.DEAD);
    });
    assertThat(recorder.kinds(later)).containsExactly(Kind.ENQUEUED, Kind.CANCELLED);

    List<TaskEvent> flakyRun = recorder.of(flaky).stream().filter(e -> e.kind() != Kind.ENQUEUED).toList();
    assertThat(flakyRun).extracting(TaskEvent::attempt).containsExactly(1, 1, 2, 2);
    TaskEvent retrying = flakyRun.get(1);
    assertThat(retrying.detail()).contains("first try fails");
    assertThat(retrying.worker()).isEqualTo(worker.consumerName());
    assertThat(retrying.runTime()).isNotNull().satisfies(d -> assertThat(d.isNegative()).isFalse());
    TaskEvent succeeded = recorder.of(ok).stream().filter(e -> e.kind() == Kind.SUCCEEDED).findFirst().orElseThrow();
    assertThat(succeeded.queue()).isEqualTo(Q);
    assertThat(succeeded.worker()).isEqualTo(worker.consumerName());
    assertThat(succeeded.runTime()).isNotNull();
    assertThat(recorder.of(bad).stream().filter(e -> e.kind() == Kind.DEAD).findFirst().orElseThrow().detail())
        .startsWith("non-retryable error").contains("cannot do this");
    // dispatcher steps carry no worker
    assertThat(recorder.of(later)).allSatisfy(e -> assertThat(e.worker()).isNull());
  }

  @Test
  void breakerTransitionsParkingAndReleaseAreReported() throws Exception {
    BatonClient baton = client();
    AtomicBoolean down = new AtomicBoolean(true);
    redis.closeAfter(Worker.builder(baton)
        .dependency(DependencyConfig.of(DEP, BreakerConfig.builder().countWindow(2).minimumCalls(2)
            .waitInOpen(Duration.ofMillis(500)).permittedProbes(1).build()))
        .releaseWave(Duration.ofMillis(100))
        .handle(Q, HandlerOptions.withConcurrency(2).dependencies(DEP), ctx -> ctx.dependency(DEP).call(() -> {
          if (down.get()) {
            throw new DependencyUnavailableException(DEP, "503 from svc");
          }
          return "ok";
        }))
        .build()
        .start());
    List<String> ids = List.of(
        baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id(),
        baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id());
    await().atMost(WAIT).until(() -> baton.inspector().breaker(DEP).state() == BreakerState.OPEN);
    down.set(false);
    for (String id : ids) {
      assertThat(baton.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    await().atMost(WAIT).untilAsserted(() -> assertThat(recorder.transitions)
        .extracting(t -> t.from() + ">" + t.to())
        .containsExactly("CLOSED>OPEN", "OPEN>HALF_OPEN", "HALF_OPEN>CLOSED"));
    // each transition as Redis recorded it: generations 1, 2, 3, in the breaker's own history
    assertThat(recorder.transitions).extracting(BreakerTransition::generation).containsExactly(1L, 2L, 3L);
    assertThat(recorder.transitions).containsExactlyElementsOf(baton.inspector().breakerTransitions(DEP));
    for (String id : ids) {
      List<Kind> kinds = recorder.kinds(id);
      assertThat(kinds).startsWith(Kind.ENQUEUED, Kind.STARTED).endsWith(Kind.SUCCEEDED).contains(Kind.PARKED);
      // every park is followed by a release before the task starts again
      assertThat(kinds.stream().filter(k -> k == Kind.PARKED).count())
          .isEqualTo(kinds.stream().filter(k -> k == Kind.RELEASED).count());
    }
    TaskEvent parked = recorder.tasks.stream().filter(e -> e.kind() == Kind.PARKED).findFirst().orElseThrow();
    assertThat(parked.detail()).startsWith(DEP + ": ");
    TaskEvent released = recorder.tasks.stream().filter(e -> e.kind() == Kind.RELEASED).findFirst().orElseThrow();
    assertThat(released.detail()).isEqualTo("released from parking on " + DEP);
  }

  @Test
  void aLimitRefusalIsReportedWithTheLimitAndTheTaskIsParked() throws Exception {
    BatonClient baton = client();
    redis.closeAfter(Worker.builder(baton)
        .dependency(DependencyConfig.of(DEP).withRequestLimit(RateLimit.requests(1, Duration.ofSeconds(1))))
        .releaseWave(Duration.ofMillis(100))
        .handle(Q, HandlerOptions.withConcurrency(2).dependencies(DEP), ctx -> ctx.dependency(DEP).call(() -> "ok"))
        .build()
        .start());
    List<String> ids = List.of(
        baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id(),
        baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id());
    for (String id : ids) {
      assertThat(baton.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    await().atMost(WAIT).until(() -> !recorder.refusals.isEmpty());
    LimitRefusal refusal = recorder.refusals.peek();
    assertThat(refusal.dependency()).isEqualTo(DEP);
    assertThat(refusal.limit()).isEqualTo(DEP + "/requests");
    assertThat(refusal.key()).isEqualTo("default");
    assertThat(refusal.kind()).isEqualTo(LimitUsage.Kind.RATE);
    assertThat(refusal.retryAfter()).isPositive();
    await().atMost(WAIT).until(() -> recorder.tasks.stream().filter(e -> e.kind() == Kind.SUCCEEDED).count() == 2);
    assertThat(recorder.tasks.stream().filter(e -> e.kind() == Kind.PARKED).count())
        .isEqualTo(recorder.refusals.size());
  }

  @Test
  void aTaskTakenOverFromADeadWorkerIsReportedRecovered() throws Exception {
    BatonClient baton = client();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    // a worker that started the task and died: its lease runs out on the Redis clock
    ScriptDriver.startAs(broker, redis.raw(), Q, "dead-worker", 1);
    Worker worker = redis.closeAfter(Worker.builder(baton)
        .recoverInterval(Duration.ofMillis(100))
        .handle(Q, HandlerOptions.withConcurrency(1).lease(Duration.ofSeconds(1)), ctx -> "ok")
        .build()
        .start());
    assertThat(baton.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    await().atMost(WAIT).untilAsserted(() -> assertThat(recorder.kinds(id))
        .containsExactly(Kind.ENQUEUED, Kind.RECOVERED, Kind.STARTED, Kind.SUCCEEDED));
    TaskEvent recovered = recorder.of(id).stream().filter(e -> e.kind() == Kind.RECOVERED).findFirst().orElseThrow();
    assertThat(recovered.worker()).isEqualTo(worker.consumerName());
    assertThat(recovered.detail()).contains("lease ran out");
  }

  @Test
  void aTaskStillRunningWhenTheGraceEndsIsReportedReleased() throws Exception {
    BatonClient baton = client();
    CountDownLatch running = new CountDownLatch(1);
    Worker worker = Worker.builder(baton)
        .handle(Q, HandlerOptions.withConcurrency(1), ctx -> {
          running.countDown();
          while (true) {
            try {
              Thread.sleep(60_000);
            } catch (InterruptedException e) {
              // a handler that ignores interruption: only the release ends its task
            }
          }
        })
        .build()
        .start();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    assertThat(running.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    worker.shutdown(Duration.ofMillis(200));
    assertThat(baton.inspector().task(Q, id).orElseThrow().state()).isEqualTo(TaskState.QUEUED);
    assertThat(recorder.kinds(id)).containsExactly(Kind.ENQUEUED, Kind.STARTED, Kind.RELEASED);
    assertThat(recorder.of(id).stream().filter(e -> e.kind() == Kind.RELEASED).findFirst().orElseThrow().detail())
        .startsWith("worker stopping");
  }

  @Test
  void aListenerThatThrowsNeverFailsTheStep() throws Exception {
    BatonClient baton = redis.client(redis.config()
        .listener(new LifecycleListener() {
          @Override
          public void onTaskEvent(TaskEvent event) {
            throw new IllegalStateException("listener bug");
          }
        })
        .listener(recorder)
        .build());
    redis.closeAfter(Worker.builder(baton).handle(Q, ctx -> "ok").build().start());
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    assertThat(baton.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    // the next listener still hears every step
    await().atMost(WAIT).untilAsserted(() -> assertThat(recorder.kinds(id))
        .containsExactly(Kind.ENQUEUED, Kind.STARTED, Kind.SUCCEEDED));
  }
}
