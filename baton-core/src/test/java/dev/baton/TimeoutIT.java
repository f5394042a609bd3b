package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An attempt that outlives its timeout is interrupted and fails at its deadline, whatever the handler does. */
class TimeoutIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void aSleepingHandlerIsInterruptedAndTheAttemptFailsWithTaskTimeoutException() throws Exception {
    BatonClient baton = redis.client();
    AtomicReference<Throwable> seen = new AtomicReference<>();
    AtomicBoolean cancelledFlag = new AtomicBoolean();
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, ctx -> {
          if (ctx.attempt() == 1) {
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

    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q)
        .timeout(Duration.ofMillis(300))
        .maxAttempts(2)
        .retryPolicy(RetryPolicy.exponential(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)))
        .build()).id();
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);

    assertThat(seen.get()).isInstanceOf(InterruptedException.class);
    assertThat(cancelledFlag).isTrue();
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"second attempt\"");
    TaskError first = done.history().get(0);
    assertThat(first.attempt()).isEqualTo(1);
    assertThat(first.errorClass()).isEqualTo(TaskTimeoutException.class.getName());
    assertThat(first.message()).isEqualTo("task timed out after 300ms");
    assertThat(Duration.between(first.startedAt(), first.finishedAt()))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300))
        .isLessThan(Duration.ofSeconds(5));
    assertThat(done.history()).hasSize(2);
    assertThat(done.history().get(1).succeeded()).isTrue();
  }

  @Test
  void aHandlerIgnoringInterruptsFailsAtTheDeadlineAndItsLateReturnIsRejected() throws Exception {
    BatonClient baton = redis.client();
    CountDownLatch returned = new CountDownLatch(1);
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, HandlerOptions.withConcurrency(1).timeout(Duration.ofMillis(300)), ctx -> {
          long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
          while (System.nanoTime() < end) {
            Thread.onSpinWait(); // deaf to interrupts and to ctx.isCancelled()
          }
          returned.countDown();
          return "too late";
        })
        .build()
        .start());

    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(1).build()).id();

    // failed at the deadline, while the handler still runs
    TaskInfo dead = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(returned.getCount()).as("the handler is still running").isEqualTo(1);
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.lastError().errorClass()).isEqualTo(TaskTimeoutException.class.getName());
    assertThat(dead.deadReason()).isEqualTo("attempts exhausted (1/1): TaskTimeoutException: task timed out after 300ms");

    // its return comes later and changes nothing
    assertThat(returned.await(10, TimeUnit.SECONDS)).isTrue();
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(baton.inspector().task(id)).isEqualTo(dead));
    assertThat(dead.resultJson()).isNull();
    assertThat(dead.history()).hasSize(1);
    assertThat(baton.inspector().stats(Q).succeeded()).isZero();
  }
}
