package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.testing.RedisExtension;
import dev.baton.testing.TestJvms;
import dev.baton.testing.WorkerMain;
import dev.baton.testkit.WorkerJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * F18: a task that crashes its worker's JVM every time it runs. Two supervised worker JVMs
 * (restarted as soon as one dies, concurrency 4, lease 1 s) work through a backlog of short tasks
 * twice: first without the poison task (the baseline), then with it enqueued first.
 *
 * <p>Pass: the poison task is dead-lettered after exactly {@code maxDeliveries} (5) deliveries,
 * with the reason, having killed exactly five JVMs; every other task succeeds (none is dead-lettered
 * for dying next to it). The other tasks' throughput with the poison task beside them, relative to
 * the baseline, is printed as a figure, not asserted (speed belongs to benchmarks).
 *
 * <p>Protections checked: the poison limit (else the task kills workers forever and is never
 * dead-lettered); not counting the unfinished attempt against {@code maxAttempts} (else it would
 * end "attempts exhausted" after three); spreading suspects apart at takeover (else the tasks
 * fetched beside it die with it each time and can reach the limit too).
 */
class PoisonTaskIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "poison";
  private static final int WORKERS = 2;
  private static final int TASKS = 800;

  @Test
  void aTaskThatKillsItsWorkerIsDeadLetteredAfterMaxDeliveriesAndTheOthersSucceed() throws Exception {
    BatonClient baton = redis.client();
    baton.dispatcher().enqueue(TaskRequest.builder(Q).build()); // creates the group before workers read
    List<WorkerJvm> workers = new CopyOnWriteArrayList<>();
    List<Integer> exits = new CopyOnWriteArrayList<>();
    AtomicBoolean supervising = new AtomicBoolean(true);
    for (int i = 0; i < WORKERS; i++) {
      workers.add(startWorker());
    }
    for (WorkerJvm w : workers) {
      await().atMost(Duration.ofSeconds(30)).until(() -> w.marker("READY").isPresent());
    }
    Thread supervisor = Thread.ofPlatform().name("supervisor").start(() -> {
      while (supervising.get()) {
        for (WorkerJvm w : workers) {
          if (w.exitCode().isPresent()) {
            exits.add(w.exitCode().getAsInt());
            workers.remove(w);
            try {
              workers.add(startWorker());
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          }
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    try {
      double baseline = drain(baton, new ArrayList<>());
      String poison = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"poison\":true}").build()).id();
      List<String> others = new ArrayList<>();
      double withPoison = drain(baton, others);

      TaskInfo dead = baton.dispatcher().awaitResult(poison, Duration.ofSeconds(60));
      assertThat(dead.state()).isEqualTo(TaskState.DEAD);
      assertThat(dead.deadReason()).isEqualTo("max deliveries exceeded: 5 deliveries ended without an outcome");
      assertThat(dead.deliveries()).isEqualTo(HandlerOptions.DEFAULT_MAX_DELIVERIES);
      await().atMost(Duration.ofSeconds(10)).until(() -> exits.size() >= HandlerOptions.DEFAULT_MAX_DELIVERIES);
      assertThat(exits).as("JVMs killed by the poison task, and nothing else").hasSize(5)
          .allMatch(code -> code == WorkerMain.POISON_EXIT);
      for (String id : others) {
        assertThat(baton.inspector().task(id).state()).as("task %s", id).isEqualTo(TaskState.SUCCEEDED);
      }
      assertThat(baton.inspector().stats(Q).dead()).isEqualTo(1);
      System.out.printf("PoisonTaskIT: %d tasks: baseline %.0f tasks/s, beside the poison task %.0f tasks/s "
          + "(%.0f %% of baseline); %d worker JVMs killed by it%n", TASKS, baseline, withPoison,
          100 * withPoison / baseline, exits.size());
    } finally {
      supervising.set(false);
      supervisor.join(5_000);
      workers.forEach(WorkerJvm::kill);
    }
  }

  /** Enqueues {@link #TASKS} normal tasks at once and returns their throughput, tasks/s. */
  private static double drain(BatonClient baton, List<String> ids) throws Exception {
    long succeededBefore = baton.inspector().stats(Q).succeeded();
    List<TaskRequest> batch = new ArrayList<>();
    for (int i = 0; i < TASKS; i++) {
      batch.add(TaskRequest.builder(Q).payloadJson("{\"n\":" + i + "}").build());
    }
    long t0 = System.nanoTime();
    baton.dispatcher().enqueueAll(batch).forEach(r -> ids.add(r.id()));
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
        .until(() -> baton.inspector().stats(Q).succeeded() >= succeededBefore + TASKS);
    return TASKS / (Duration.ofNanos(System.nanoTime() - t0).toMillis() / 1000.0);
  }

  private static WorkerJvm startWorker() throws Exception {
    return TestJvms.start(WorkerMain.class, redis.uri(), redis.prefix(), Q, "4", "1000", "poison");
  }
}
