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

  /**
   * A terminal's Ctrl-C sends SIGINT to its foreground process group. The commands run in their
   * own sessions, so only the worker gets it: it stops gracefully, and the task still running after
   * the grace is released with no attempt charged (not failed with exit 130).
   */
  @Test
  void sigintToTheWorkersProcessGroupReleasesTheRunningTaskUncounted(@TempDir Path tmp) throws Exception {
    Path log = tmp.resolve("worker.log");
    Path shellPid = tmp.resolve("shell.pid");
    List<String> cmd = List.of("setsid", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), BatonCli.class.getName(), "worker", "--redis", redis.uri(),
        "--prefix", redis.prefix(), "--queue", "long", "--grace", "1s", "--kill-after", "1s",
        "--exec", "cat >/dev/null; echo $$ > " + shellPid + "; sleep 600");
    Process worker = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(30))
          .until(() -> Files.readString(log).contains(" serving [long]") || !worker.isAlive());
      assertThat(worker.isAlive()).as(Files.readString(log)).isTrue();
      assertThat(ProcessGroup.stat(worker.pid()).pgrp()).as("the worker leads its process group, as a terminal's "
          + "foreground job does").isEqualTo(worker.pid());

      BatonClient client = redis.client();
      EnqueueResult r = client.dispatcher().enqueue(TaskRequest.builder("long").payloadJson("{}").maxAttempts(1).build());
      await().atMost(Duration.ofSeconds(20))
          .until(() -> Files.exists(shellPid) && !Files.readString(shellPid).isBlank());
      long shell = Long.parseLong(Files.readString(shellPid).strip());

      Process kill = new ProcessBuilder("kill", "-INT", "--", "-" + worker.pid()).inheritIO().start();
      assertThat(kill.waitFor()).isZero();

      assertThat(worker.waitFor(40, TimeUnit.SECONDS)).as("worker exited").isTrue();
      String out = Files.readString(log);
      assertThat(worker.exitValue()).as(out).isZero();
      TaskInfo task = client.inspector().task(r.id());
      assertThat(task.state()).as(out).isEqualTo(TaskState.QUEUED);
      assertThat(task.attempts()).isZero();
      assertThat(task.history()).isEmpty();
      assertThat(ProcessGroup.pidsInGroup(shell)).as("the command's group is gone").isEmpty();
      assertThat(out).contains(" stopped");
    } finally {
      worker.destroyForcibly();
      worker.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
