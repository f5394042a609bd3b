package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.BatonClient;
import dev.baton.EnqueueResult;
import dev.baton.TaskInfo;
import dev.baton.TaskRequest;
import dev.baton.TaskState;
import dev.baton.testing.RedisExtension;
import dev.baton.testkit.WorkerJvm;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code baton worker} as its own JVM, stopped with SIGTERM. */
class WorkerProcessIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @Test
  void sigtermDrainsTheRunningTaskAndExitsZero() throws Exception {
    try (WorkerJvm process = WorkerJvm.start(BatonCli.class, "worker", "--redis", redis.uri(), "--prefix",
        redis.prefix(), "--queue", "long", "--grace", "30s", "--exec", "sleep 2; echo '{\"done\":true}'")) {
      await().atMost(Duration.ofSeconds(30))
          .until(() -> process.log().contains(" serving [long]") || !process.isAlive());
      assertThat(process.isAlive()).as(process.log()).isTrue();

      BatonClient client = redis.client();
      EnqueueResult r = client.dispatcher().enqueue(TaskRequest.builder("long").payloadJson("{}").build());
      await().atMost(Duration.ofSeconds(20)).until(() -> client.inspector().task(r.id()).state() == TaskState.RUNNING);

      process.terminate(); // SIGTERM

      assertThat(process.waitFor(Duration.ofSeconds(40))).as("worker exited").isTrue();
      String log = process.log();
      assertThat(process.exitCode()).as(log).hasValue(0);
      TaskInfo task = client.inspector().task(r.id());
      assertThat(task.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(task.resultJson()).isEqualTo("{\"done\":true}");
      assertThat(log).contains("stopping: waiting up to PT30S for 1 running task(s)").contains(" stopped");
      assertThat(process.nextLine(Duration.ofSeconds(5))).as("nothing on stdout").isNull();
    }
  }
}
