package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A handler that throws {@link WorkerFaultException} is not charged: the task is released uncounted
 * (no attempt record) and the agent type's fetching backs off, doubling per fault in a row.
 */
class WorkerFaultIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private record Call(long atNanos, int attempt) {}

  @Test
  void aWorkerFaultReleasesTheTaskUncountedAndBacksOff() throws Exception {
    List<TaskEvent> events = new CopyOnWriteArrayList<>();
    BatonClient baton = redis.client(redis.config().listener(new LifecycleListener() {
      @Override
      public void onTaskEvent(TaskEvent event) {
        events.add(event);
      }
    }).build());
    List<Call> calls = new CopyOnWriteArrayList<>();
    redis.closeAfter(Worker.builder(baton)
        // one at a time: a read waiting while the handler runs would also get the released task
        // back at once (then given back again, unrun, while backing off), adding events to the list
        .handle("fragile", HandlerOptions.withConcurrency(1), ctx -> {
          calls.add(new Call(System.nanoTime(), ctx.attempt()));
          if (calls.size() == 1) {
            throw new WorkerFaultException("cannot start /bin/sh: error=24, Too many open files");
          }
          if (calls.size() == 2) {
            throw new IllegalStateException("wrapped", new WorkerFaultException("command not found (exit 127)"));
          }
          return "ok";
        })
        .build()
        .start());

    EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder("fragile").maxAttempts(2).build());
    TaskInfo done = baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(20));

    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"ok\"");
    // two faults with maxAttempts 2 would have dead-lettered it if they were charged
    assertThat(done.attempts()).isEqualTo(1);
    assertThat(done.history()).hasSize(1);
    assertThat(done.history().get(0).succeeded()).isTrue();
    assertThat(calls).extracting(Call::attempt).containsExactly(1, 1, 1);
    assertThat(baton.inspector().stats("fragile").retried()).isZero();
    // back-off: 1 s after the first fault, 2 s after the second (in a row)
    assertThat(Duration.ofNanos(calls.get(1).atNanos() - calls.get(0).atNanos()))
        .isGreaterThanOrEqualTo(WorkerFaultException.BACKOFF_BASE.minusMillis(100));
    assertThat(Duration.ofNanos(calls.get(2).atNanos() - calls.get(1).atNanos()))
        .isGreaterThanOrEqualTo(WorkerFaultException.BACKOFF_BASE.multipliedBy(2).minusMillis(100));
    // the listener hears SUCCEEDED after the write that awaitResult may see first
    await().atMost(Duration.ofSeconds(5)).until(() -> events.stream()
        .anyMatch(e -> e.taskId().equals(r.id()) && e.kind() == TaskEvent.Kind.SUCCEEDED));
    assertThat(events).filteredOn(e -> e.taskId().equals(r.id()))
        .extracting(TaskEvent::kind)
        .containsExactly(TaskEvent.Kind.ENQUEUED, TaskEvent.Kind.STARTED, TaskEvent.Kind.RELEASED,
            TaskEvent.Kind.STARTED, TaskEvent.Kind.RELEASED, TaskEvent.Kind.STARTED, TaskEvent.Kind.SUCCEEDED);
    assertThat(events).filteredOn(e -> e.kind() == TaskEvent.Kind.RELEASED)
        .extracting(TaskEvent::detail)
        .containsExactly("worker fault: WorkerFaultException: cannot start /bin/sh: error=24, Too many open files",
            "worker fault: WorkerFaultException: command not found (exit 127)");
  }

  /**
   * A task that faults every worker it reaches: released uncounted maxFaultReleases times, then each
   * further fault is charged as a failed attempt (retry, then dead letter) with the reason.
   */
  @Test
  void aTaskThatAlwaysFaultsIsChargedAfterTheCapAndDeadLettered() throws Exception {
    BatonClient baton = redis.client();
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    redis.closeAfter(Worker.builder(baton)
        .maxFaultReleases(2)
        .handle("poison", HandlerOptions.withConcurrency(1)
            .retryPolicy(RetryPolicy.exponential(Duration.ofMillis(10), 1, Duration.ofMillis(10))), ctx -> {
              attempts.add(ctx.attempt());
              throw new WorkerFaultException("cannot allocate memory");
            })
        .build()
        .start());

    EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder("poison").maxAttempts(2).build());
    TaskInfo done = baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(30));

    assertThat(done.state()).isEqualTo(TaskState.DEAD);
    // two releases (attempt 1 each time, uncounted), then attempt 1 charged (retry), attempt 2 charged (dead)
    assertThat(attempts).containsExactly(1, 1, 1, 2);
    assertThat(done.attempts()).isEqualTo(2);
    assertThat(done.history()).hasSize(2);
    assertThat(done.history().get(0).message()).contains("faulted the worker 3 times")
        .contains("released uncounted 2 times").contains("cannot allocate memory");
    assertThat(done.deadReason()).startsWith("attempts exhausted (2/2)").contains("faulted the worker 3 times");
    assertThat(redis.raw().hget(redis.prefix() + ":{poison}:task:" + r.id(), "flt")).isEqualTo("2");
    assertThat(baton.inspector().stats("poison").retried()).isEqualTo(1);
  }

  /** A task that faults once and then succeeds is not charged, even at a cap of 1. */
  @Test
  void aTaskThatFaultsOnceThenSucceedsIsNotCharged() throws Exception {
    BatonClient baton = redis.client();
    List<Integer> attempts = new CopyOnWriteArrayList<>();
    redis.closeAfter(Worker.builder(baton)
        .maxFaultReleases(1)
        .handle("once", HandlerOptions.withConcurrency(1), ctx -> {
          attempts.add(ctx.attempt());
          if (attempts.size() == 1) {
            throw new WorkerFaultException("command not found (exit 127)");
          }
          return "ok";
        })
        .build()
        .start());

    EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder("once").maxAttempts(1).build());
    TaskInfo done = baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(20));

    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(attempts).containsExactly(1, 1);
    assertThat(done.attempts()).isEqualTo(1);
    assertThat(done.history()).hasSize(1);
    assertThat(redis.raw().hget(redis.prefix() + ":{once}:task:" + r.id(), "flt")).isEqualTo("1");
  }

  @Test
  void maxFaultReleasesIsValidated() {
    Worker.Builder b = Worker.builder(redis.client());
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> b.maxFaultReleases(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -1");
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> b.maxFaultReleases(1001)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1000]");
  }

  @Test
  void nonRetryableFirstInTheCauseChainStillDeadLetters() throws Exception {
    BatonClient baton = redis.client();
    redis.closeAfter(Worker.builder(baton)
        .handle("strict", ctx -> {
          throw new NonRetryableException("bad payload", new WorkerFaultException("and a broken worker"));
        })
        .build()
        .start());
    EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder("strict").maxAttempts(5).build());
    TaskInfo dead = baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(10));
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.attempts()).isEqualTo(1);
  }
}
