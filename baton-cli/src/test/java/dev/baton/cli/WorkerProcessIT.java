package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.BatonClient;
import dev.baton.EnqueueResult;
import dev.baton.TaskInfo;
import dev.baton.TaskRequest;
import dev.baton.TaskState;
import dev.baton.testing.RedisExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code baton worker} as its own JVM, stopped with SIGTERM. */
class WorkerProcessIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @Test
  void sigtermDrainsTheRunningTaskAndExitsZero(@TempDir Path dir) throws Exception {
    Path stderr = dir.resolve("stderr.log");
    Path stdout = dir.resolve("stdout.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
            BatonCli.class.getName(), "worker", "--redis", redis.uri(), "--prefix", redis.prefix(),
            "--queue", "long", "--grace", "30s", "--exec", "sleep 2; echo '{\"done\":true}'"))
        .redirectError(stderr.toFile())
        .redirectOutput(stdout.toFile())
        .start();
    try {
      await().atMost(Duration.ofSeconds(30))
          .until(() -> Files.readString(stderr).contains(" serving [long]") || !process.isAlive());
      assertThat(process.isAlive()).as(Files.readString(stderr)).isTrue();

      BatonClient client = redis.client();
      EnqueueResult r = client.dispatcher().enqueue(TaskRequest.builder("long").payloadJson("{}").build());
      await().atMost(Duration.ofSeconds(20)).until(() -> client.inspector().task(r.id()).state() == TaskState.RUNNING);

      process.destroy(); // SIGTERM

      assertThat(process.waitFor(40, TimeUnit.SECONDS)).as("worker exited").isTrue();
      String log = Files.readString(stderr);
      assertThat(process.exitValue()).as(log).isZero();
      TaskInfo task = client.inspector().task(r.id());
      assertThat(task.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(task.resultJson()).isEqualTo("{\"done\":true}");
      assertThat(log).contains("stopping: waiting up to PT30S for 1 running task(s)").contains(" stopped");
      assertThat(Files.readString(stdout)).isEmpty();
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}
