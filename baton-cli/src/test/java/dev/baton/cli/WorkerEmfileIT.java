package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.baton.BatonClient;
import dev.baton.TaskInfo;
import dev.baton.TaskRequest;
import dev.baton.TaskState;
import dev.baton.testing.RedisExtension;
import dev.baton.testkit.WorkerJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real {@code baton worker --exec} JVM runs out of file descriptors: once it serves, the test
 * lowers its soft {@code RLIMIT_NOFILE} with {@code prlimit --pid} to its lowest free descriptor, so
 * that starting {@code /bin/sh} fails with a real EMFILE ({@code error=24, Too many open files}).
 * The tasks are released uncounted (a worker fault), not failed; once the limit is raised back they
 * run and succeed with one attempt, nothing retried or dead-lettered.
 */
class WorkerEmfileIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @Test
  void tasksHittingARealEmfileAreReleasedUncountedAndSucceedOnceDescriptorsAreBack() throws Exception {
    assumeTrue(run("prlimit", "--version") == 0, "prlimit (util-linux) is not installed");
    try (WorkerJvm worker = WorkerJvm.start(BatonCli.class, "worker", "--redis", redis.uri(), "--prefix",
        redis.prefix(), "--queue", "fd", "--concurrency", "2", "--max-fault-releases", "100",
        "--exec", "cat >/dev/null; echo '{\"ok\":true}'")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> worker.log().contains(" serving [fd]") || !worker.isAlive());
      assertThat(worker.isAlive()).as(worker.log()).isTrue();
      long pid = worker.pid();
      String original = softLimit(pid);

      BatonClient client = redis.client();
      List<String> ids = new ArrayList<>();
      try {
        starve(pid);
        for (int i = 0; i < 2; i++) {
          ids.add(client.dispatcher().enqueue(TaskRequest.builder("fd").payloadJson("{}").maxAttempts(1).build()).id());
        }
        // re-applied while waiting: the JVM may close a descriptor, leaving a lower free one
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
            .until(() -> starve(pid) && worker.log().contains("Too many open files"));
      } finally {
        assertThat(run("prlimit", "--pid", Long.toString(pid), "--nofile=" + original + ":")).isZero();
      }

      for (String id : ids) {
        TaskInfo done = client.dispatcher().awaitResult(id, Duration.ofSeconds(60));
        assertThat(done.state()).as(worker.log()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(done.attempts()).isEqualTo(1);
        assertThat(done.history()).hasSize(1);
        assertThat(done.history().get(0).succeeded()).isTrue();
      }
      long faulted = ids.stream().filter(id -> redis.raw().hget(redis.prefix() + ":{fd}:task:" + id, "flt") != null)
          .count();
      assertThat(faulted).as("tasks released for the EMFILE fault").isPositive();
      assertThat(client.inspector().stats("fd").retried()).isZero();
      assertThat(client.inspector().stats("fd").dead()).isZero();
      assertThat(worker.log()).contains("worker fault in fd").contains("cannot start the command")
          .contains("Too many open files").contains("released to the queue, not charged an attempt")
          .doesNotContain("Possible reasons");
      assertThat(worker.isAlive()).isTrue();
    }
  }

  /** Sets {@code pid}'s soft descriptor limit to its lowest free descriptor; true when it did. */
  private static boolean starve(long pid) throws IOException, InterruptedException {
    Set<Integer> open = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      fds.forEach(p -> open.add(Integer.parseInt(p.getFileName().toString())));
    }
    int lowestFree = 0;
    while (open.contains(lowestFree)) {
      lowestFree++;
    }
    return run("prlimit", "--pid", Long.toString(pid), "--nofile=" + lowestFree + ":") == 0;
  }

  private static String softLimit(long pid) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile", "--output=SOFT",
        "--noheadings").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor()).as(out).isZero();
    return out;
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    try {
      return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
          .waitFor();
    } catch (IOException e) {
      return -1;
    }
  }
}
