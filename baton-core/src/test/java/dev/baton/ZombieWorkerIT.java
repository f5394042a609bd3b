package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.TestJvms;
import dev.baton.testing.WorkerMain;
import dev.baton.testkit.WorkerJvm;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * F4, zombie worker: a worker JVM is frozen with SIGSTOP (as in a long GC or VM pause) for longer
 * than its lease while it runs a task. Another worker takes the task over and completes it. When
 * the zombie wakes up (SIGCONT) its next heartbeat learns the lease is lost, its handler is
 * cancelled within one heartbeat interval, and nothing it does afterwards is accepted, although
 * its handler ignores the cancellation and returns a result.
 *
 * <p>Protections checked: the recoverer taking over an entry idle past its lease (else the task is
 * never completed while the zombie sleeps); the fenced heartbeat (renew.lua: owner, entry and
 * delivery must still be the zombie's, else the renewal "succeeds", the handler is never cancelled
 * and no CANCELLED marker appears); lease-lost cancellation writing nothing (TaskExecution: else
 * the zombie's "zombie result" would reach complete.lua, whose fence is the last line).
 */
class ZombieWorkerIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "zombie";
  private static final Duration LEASE = Duration.ofSeconds(2);
  private static final Duration HEARTBEAT = LEASE.dividedBy(3);

  @Test
  void aPausedWorkerLosesItsTaskToAnotherAndWritesNothingWhenItWakesUp() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    WorkerJvm zombie = redis.closeAfter(TestJvms.start(WorkerMain.class,
        redis.uri(), redis.prefix(), Q, "1", Long.toString(LEASE.toMillis()), "zombie"));
    await().atMost(Duration.ofSeconds(30)).failFast("worker exited", () -> !zombie.isAlive())
        .until(() -> zombie.marker("READY").isPresent());
    String zombieName = zombie.value("CONSUMER ").orElseThrow();

    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"job\":\"slow\"}").build()).id();
    await().atMost(Duration.ofSeconds(10)).failFast("worker exited", () -> !zombie.isAlive())
        .until(() -> zombie.marker("RUNNING " + id).isPresent());
    assertThat(raw.hgetall(k.task(Q, id))).containsEntry("st", "running").containsEntry("own", zombieName);

    // a healthy worker with the same lease serves the same agent type
    AtomicLong takenOverAt = new AtomicLong();
    AtomicReference<String> healthyName = new AtomicReference<>();
    Worker healthy = redis.closeAfter(Worker.builder(baton)
        .recoverInterval(Duration.ofMillis(100))
        .handle(Q, HandlerOptions.withConcurrency(1).lease(LEASE), ctx -> {
          takenOverAt.compareAndSet(0, System.nanoTime());
          return "done by " + healthyName.get() + " at attempt " + ctx.attempt();
        })
        .build());
    healthyName.set(healthy.consumerName());
    healthy.start();
    // the zombie keeps its lease while it runs: the healthy worker's recoverer leaves the task alone
    await().during(HEARTBEAT.multipliedBy(2)).atMost(HEARTBEAT.multipliedBy(3))
        .until(() -> takenOverAt.get() == 0);

    zombie.pause();
    long pausedAt = System.nanoTime();

    TaskInfo done = await().atMost(LEASE.plusSeconds(8))
        .until(() -> baton.inspector().task(id), t -> t.state() == TaskState.SUCCEEDED);
    Duration takeOver = WorkerJvm.between(pausedAt, takenOverAt.get());
    Map<String, String> recordDone = raw.hgetall(k.task(Q, id));
    // the lease runs from the zombie's last renewal, up to one heartbeat before the pause: hold the
    // pause until it is longer than a whole lease and a heartbeat anyway
    await().atMost(LEASE.plusSeconds(2))
        .until(() -> WorkerJvm.between(pausedAt, System.nanoTime()).compareTo(LEASE.plus(HEARTBEAT)) > 0);

    zombie.resume();
    long resumedAt = System.nanoTime();
    Duration pausedFor = WorkerJvm.between(pausedAt, resumedAt);

    // its heartbeat learns the lease is lost and cancels the handler within one heartbeat interval
    WorkerJvm.Marker cancelled = await().atMost(Duration.ofSeconds(5))
        .until(() -> zombie.marker("CANCELLED " + id), Optional::isPresent).orElseThrow();
    Duration cancelDelay = WorkerJvm.between(resumedAt, cancelled.readAtNanos());
    assertThat(cancelled.line()).contains("lease lost");
    assertThat(cancelDelay).isLessThanOrEqualTo(HEARTBEAT.plusMillis(300));
    await().atMost(Duration.ofSeconds(2)).until(() -> zombie.marker("RETURNED " + id).isPresent());

    // its handler returned "zombie result" anyway: for several heartbeats nothing it does is accepted
    await().during(HEARTBEAT.multipliedBy(4)).atMost(HEARTBEAT.multipliedBy(6)).untilAsserted(() -> {
      assertThat(raw.hgetall(k.task(Q, id))).isEqualTo(recordDone);
      assertThat(baton.inspector().task(id)).isEqualTo(done);
    });
    assertThat(zombie.isAlive()).isTrue();

    // 0 stale writes accepted: one successful attempt, the healthy worker's
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"done by " + healthy.consumerName() + " at attempt 1\"");
    assertThat(done.history()).hasSize(1);
    assertThat(done.history().get(0).succeeded()).isTrue();
    assertThat(done.history().get(0).worker()).isEqualTo(healthy.consumerName());
    assertThat(done.deliveries()).isEqualTo(2);
    assertThat(done.attempts()).as("the zombie's unfinished attempt is not counted").isEqualTo(1);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xlen(k.stream(Q))).isZero();
    QueueStats stats = baton.inspector().stats(Q);
    assertThat(stats.succeeded()).isEqualTo(1);
    assertThat(raw.hget(k.stats(Q), "recovered")).isEqualTo("1");
    assertThat(zombie.log()).contains("lease lost (taken over elsewhere)");

    System.out.printf("ZombieWorkerIT: paused %d ms; redelivered %d ms after SIGSTOP (lease %d ms); "
            + "cancelled %d ms after SIGCONT (heartbeat %d ms)%n",
        pausedFor.toMillis(), takeOver.toMillis(), LEASE.toMillis(),
        cancelDelay.toMillis(), HEARTBEAT.toMillis());
  }
}
