package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.testing.ManualLoops;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An attempt that outlives its timeout is interrupted and fails at its deadline, whatever the
 * handler does. The deadline is a timer on the worker's clock: these tests move a {@link
 * SettableClock} past it instead of waiting for it.
 */
class TimeoutIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration TIMEOUT = Duration.ofMillis(300);

  @Test
  void aSleepingHandlerIsInterruptedAtItsDeadlineAndTheAttemptFailsWithTaskTimeoutException() throws Exception {
    BatonClient baton = redis.client();
    SettableClock clock = new SettableClock();
    AtomicReference<Throwable> seen = new AtomicReference<>();
    AtomicReference<Instant> deadline = new AtomicReference<>();
    AtomicBoolean cancelledFlag = new AtomicBoolean();
    CountDownLatch firstAttemptRunning = new CountDownLatch(1);
    Worker worker = redis.closeAfter(Worker.builder(baton)
        .clock(clock)
        .manualLoops()
        .handle(Q, ctx -> {
          if (ctx.attempt() == 1) {
            deadline.set(ctx.deadline());
            firstAttemptRunning.countDown();
            try {
              Thread.sleep(60_000);
            } catch (InterruptedException e) {
              seen.set(e);
              cancelledFlag.set(ctx.isCancelled());
              throw e;
            }
          }
          return "second attempt";
        })
        .build()
        .start());
    ManualLoops loops = worker.manualLoops();

    Instant enqueuedAt = clock.instant();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q)
        .timeout(TIMEOUT)
        .maxAttempts(2)
        .retryPolicy(RetryPolicy.exponential(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)))
        .build()).id();
    assertThat(firstAttemptRunning.await(10, TimeUnit.SECONDS)).isTrue();
    // the deadline timer is armed on the worker's clock before the handler runs
    assertThat(deadline.get()).isEqualTo(enqueuedAt.plus(TIMEOUT));
    assertThat(clock.pendingDue()).containsExactly(deadline.get());

    clock.advance(TIMEOUT.minusMillis(1));
    assertThat(seen.get()).as("interrupted before its deadline").isNull();
    assertThat(baton.inspector().task(id).state()).isEqualTo(TaskState.RUNNING);
    clock.advance(Duration.ofMillis(1)); // the deadline fires on this thread: cancel, interrupt, record

    // the failed attempt is recorded; its retry is due 1 ms later on the Redis clock, then promoted
    await().atMost(WAIT).until(() -> baton.inspector().task(id).state() == TaskState.RETRYING);
    await().atMost(WAIT).untilAsserted(() -> {
      loops.runPromoterOnce();
      assertThat(baton.inspector().task(id).state()).isNotEqualTo(TaskState.RETRYING);
    });
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);

    assertThat(seen.get()).isInstanceOf(InterruptedException.class);
    assertThat(cancelledFlag).isTrue();
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"second attempt\"");
    TaskError first = done.history().get(0);
    assertThat(first.attempt()).isEqualTo(1);
    assertThat(first.errorClass()).isEqualTo(TaskTimeoutException.class.getName());
    assertThat(first.message()).isEqualTo("task timed out after 300ms");
    // both ends are read from the worker's clock: the attempt lasted exactly its timeout
    assertThat(first.startedAt()).isEqualTo(enqueuedAt);
    assertThat(first.finishedAt()).isEqualTo(enqueuedAt.plus(TIMEOUT));
    assertThat(done.history()).hasSize(2);
    assertThat(done.history().get(1).succeeded()).isTrue();
    assertThat(done.history().get(1).startedAt()).isEqualTo(enqueuedAt.plus(TIMEOUT));
    assertThat(clock.pendingTimers()).as("the second attempt's deadline timer was cancelled").isZero();
  }

  @Test
  void aHandlerIgnoringInterruptsFailsAtTheDeadlineAndItsLateReturnIsRejected() throws Exception {
    BatonClient baton = redis.client();
    SettableClock clock = new SettableClock();
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch letItReturn = new CountDownLatch(1);
    CountDownLatch returned = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    Worker worker = redis.closeAfter(Worker.builder(baton)
        .clock(clock)
        .manualLoops()
        .handle(Q, HandlerOptions.withConcurrency(1).timeout(TIMEOUT), ctx -> {
          running.countDown();
          while (true) { // deaf to interrupts and to ctx.isCancelled()
            try {
              letItReturn.await();
              break;
            } catch (InterruptedException e) {
              interrupted.set(true);
            }
          }
          returned.countDown();
          return "too late";
        })
        .build()
        .start());

    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(1).build()).id();
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    clock.advance(TIMEOUT);

    // failed at the deadline, while the handler still runs
    TaskInfo dead = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(returned.getCount()).as("the handler is still running").isEqualTo(1);
    assertThat(interrupted).as("the handler was interrupted at its deadline").isTrue();
    assertThat(worker.inFlight()).as("the handler still holds its slot").isEqualTo(1);
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.lastError().errorClass()).isEqualTo(TaskTimeoutException.class.getName());
    assertThat(dead.deadReason()).isEqualTo("attempts exhausted (1/1): TaskTimeoutException: task timed out after 300ms");

    // its return comes later and changes nothing: once the handler has let go of its slot, the
    // attempt is over and whatever it was going to write would have been written
    letItReturn.countDown();
    assertThat(returned.await(10, TimeUnit.SECONDS)).isTrue();
    await().atMost(WAIT).until(() -> worker.inFlight() == 0);
    assertThat(baton.inspector().task(id)).isEqualTo(dead);
    assertThat(dead.resultJson()).isNull();
    assertThat(dead.history()).hasSize(1);
    assertThat(baton.inspector().stats(Q).succeeded()).isZero();
  }
}
