package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.testing.RedisExtension;
import dev.baton.testing.ReturningMain;
import dev.baton.testing.TestJvms;
import dev.baton.testkit.WorkerJvm;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An application's {@code main} returns while its worker runs a task (a child JVM, {@link
 * ReturningMain}); the JVM exits, since every Baton thread is a daemon. With {@link
 * Worker.Builder#shutdownHook(boolean)} the hook drains and releases: by the time the JVM has
 * exited, the task is back on its queue (not after its 30 s lease) and another worker runs it at
 * once. Without the hook the task stays running, held by a dead consumer, until the lease runs out.
 */
class ShutdownHookIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final Duration LEASE = Duration.ofSeconds(30);

  @Test
  void withTheHookATaskRunningWhenMainReturnsIsReleasedAtOnceAndRunsElsewhere() throws Exception {
    String id;
    try (WorkerJvm app = TestJvms.start(ReturningMain.class, redis.uri(), redis.prefix(), Q,
        Long.toString(LEASE.toMillis()), "hook")) {
      id = exitAfterReturning(app);
      // the handler, still running past the 200 ms grace, was interrupted (the stdout reader may lag the exit)
      await().atMost(Duration.ofSeconds(5)).until(() -> app.value("INTERRUPTED ").isPresent());
      assertThat(app.value("INTERRUPTED ")).hasValue(id);
      assertThat(app.log()).contains("released to other workers");
    }
    BatonClient baton = redis.client();
    TaskInfo released = baton.inspector().task(id);
    assertThat(released.state()).as("state right after the JVM exited").isEqualTo(TaskState.QUEUED);
    assertThat(released.attempts()).as("a released attempt is not counted").isZero();

    long t0 = System.nanoTime();
    try (Worker other = Worker.builder(baton).handle(Q, ctx -> "ran elsewhere").build().start()) {
      TaskInfo done = baton.dispatcher().awaitResult(id, Duration.ofSeconds(10));
      assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(done.resultJson()).isEqualTo("\"ran elsewhere\"");
    }
    assertThat(WorkerJvm.between(t0, System.nanoTime())).isLessThan(LEASE.dividedBy(3));
  }

  @Test
  void withoutTheHookTheTaskStaysRunningUntilItsLeaseRunsOut() throws Exception {
    String id;
    try (WorkerJvm app = TestJvms.start(ReturningMain.class, redis.uri(), redis.prefix(), Q,
        Long.toString(LEASE.toMillis()), "no-hook")) {
      id = exitAfterReturning(app);
    }
    TaskInfo held = redis.client().inspector().task(id);
    assertThat(held.state()).isEqualTo(TaskState.RUNNING);
    assertThat(held.attempts()).isEqualTo(1);
  }

  /** Waits for main to return and the JVM to exit normally; returns the task id. */
  private static String exitAfterReturning(WorkerJvm app) throws Exception {
    await().atMost(Duration.ofSeconds(30)).until(() -> app.marker("RETURNING").isPresent() || !app.isAlive());
    assertThat(app.marker("RETURNING")).as("main returned; log:%n%s", app.log()).isPresent();
    String id = app.value("ENQUEUED ").orElseThrow();
    assertThat(app.value("RUNNING ")).hasValue(id);
    await().atMost(Duration.ofSeconds(15)).until(() -> !app.isAlive());
    assertThat(app.exitCode()).as("log:%n%s", app.log()).hasValue(0);
    return id;
  }
}
