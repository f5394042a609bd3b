package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.BatonClient;
import dev.baton.TaskError;
import dev.baton.TaskInfo;
import dev.baton.TaskRequest;
import dev.baton.TaskState;
import dev.baton.testing.RedisExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code baton worker --exec}, in-process. */
class WorkerCommandIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final Duration WAIT = Duration.ofSeconds(20);

  private final Cli cli = new Cli(redis);
  private Cli.RunningWorker worker;
  private LogCapture logs;

  @TempDir Path tmp;

  @AfterEach
  void stopWorker() throws Exception {
    if (worker != null && !worker.exited()) {
      worker.stop();
    }
    if (logs != null) {
      logs.close();
    }
  }

  /** Captures the log lines of the exec handler and of the worker's fault back-off for this test. */
  private LogCapture logs() {
    logs = new LogCapture(ExecHandler.class.getName(), "dev.baton.internal.server.FaultBackoff");
    return logs;
  }

  private Cli.RunningWorker start(String... args) {
    worker = cli.worker(args);
    await().atMost(WAIT).until(() -> worker.serving() || worker.exited());
    assertThat(worker.serving()).as(worker.err.toString()).isTrue();
    return worker;
  }

  private String enqueue(String queue, String payload, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("enqueue", "--queue", queue, "--payload", payload));
    args.addAll(List.of(more));
    Cli.Result r = cli.run(args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    return r.out().strip();
  }

  private TaskInfo awaitDone(String id) throws Exception {
    return redis.client().dispatcher().awaitResult(id, WAIT);
  }

  @Test
  void successStoresStdoutAsTheResult() throws Exception {
    start("--queue", "echo,env,text", "--concurrency", "2", "--name", "w-1", "--exec",
        "case \"$BATON_AGENT_TYPE\" in "
            + "echo) cat ;; "
            + "env) printf '{\"id\":\"%s\",\"type\":\"%s\",\"attempt\":%s,\"max\":%s}' "
            + "\"$BATON_TASK_ID\" \"$BATON_AGENT_TYPE\" \"$BATON_ATTEMPT\" \"$BATON_MAX_ATTEMPTS\" ;; "
            + "text) echo \"not json: $(cat)\" ;; esac");
    assertThat(worker.err.toString()).contains("worker w-1 serving [echo, env, text]");

    String echo = enqueue("echo", "{\"x\":[1,2,{\"y\":\"z\"}]}");
    String env = enqueue("env", "{}", "--max-attempts", "7");
    String text = enqueue("text", "{}");

    TaskInfo echoed = awaitDone(echo);
    assertThat(echoed.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(echoed.resultJson()).isEqualTo("{\"x\":[1,2,{\"y\":\"z\"}]}");
    assertThat(awaitDone(env).resultJson())
        .isEqualTo("{\"id\":\"" + env + "\",\"type\":\"env\",\"attempt\":1,\"max\":7}");
    assertThat(awaitDone(text).resultJson()).isEqualTo("\"not json: {}\"");

    assertThat(worker.stop()).isZero();
    assertThat(worker.err.toString()).contains("worker w-1 stopped");
  }

  @Test
  void emptyStdoutIsNull() throws Exception {
    start("--queue", "quiet", "--exec", "cat >/dev/null");
    TaskInfo done = awaitDone(enqueue("quiet", "{}"));
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("null");
  }

  @Test
  void exit65DeadLettersAtOnce() throws Exception {
    start("--queue", "strict", "--exec", "echo 'missing field \"url\"' >&2; exit 65");
    String id = enqueue("strict", "{}", "--max-attempts", "5");

    TaskInfo dead = awaitDone(id);
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.attempts()).isEqualTo(1);
    assertThat(dead.lastError().errorClass()).isEqualTo("dev.baton.NonRetryableException");
    assertThat(dead.lastError().message()).isEqualTo("command exited with code 65; stderr: missing field \"url\"");
    assertThat(redis.client().inspector().deadLetters("strict", 0, 10)).extracting(TaskInfo::id).containsExactly(id);
  }

  @Test
  void otherExitCodesAreRetried() throws Exception {
    LogCapture logs = logs();
    start("--queue", "flaky", "--exec",
        "if [ \"$BATON_ATTEMPT\" -lt 2 ]; then echo \"transient failure $BATON_ATTEMPT\" >&2; echo more >&2; exit 1; fi; "
            + "echo '\"ok\"'");
    String id = enqueue("flaky", "{}", "--max-attempts", "3");

    TaskInfo done = awaitDone(id);
    // every failed attempt is logged: task, queue, attempt, exit code, first line of stderr
    assertThat(logs.containing(id)).containsExactly("WARN task " + id
        + " of flaky attempt 1/3 failed (will be retried): exit code 1; stderr: transient failure 1");
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.attempts()).isEqualTo(2);
    assertThat(done.resultJson()).isEqualTo("\"ok\"");
    TaskError first = done.history().get(0);
    assertThat(first.errorClass()).isEqualTo(ExecHandler.CommandFailedException.class.getName());
    assertThat(first.message()).isEqualTo("command exited with code 1; stderr: transient failure 1\nmore");
    assertThat(redis.client().inspector().stats("flaky").retried()).isEqualTo(1);
  }

  @Test
  void stderrInTheErrorIsItsLastCharacters() throws Exception {
    start("--queue", "noisy", "--exec", "i=0; while [ $i -lt 500 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 3");
    TaskInfo dead = awaitDone(enqueue("noisy", "{}", "--max-attempts", "1"));
    String message = dead.lastError().message();
    assertThat(message).startsWith("command exited with code 3; stderr: ...").endsWith("line 499");
    assertThat(message).hasSize(ExecHandler.MAX_MESSAGE_CHARS).contains("\nline 460\n");
  }

  /** "sleep 30" may be exec'd by the shell; "sleep 30; ..." makes sleep a grandchild of the worker. */
  @ParameterizedTest
  @ValueSource(strings = {"sleep 30", "sleep 30; echo late", "trap '' TERM; sleep 30; echo late"})
  void timeoutKillsTheCommandAndItsChildren(String command) throws Exception {
    start("--queue", "slow", "--timeout", "500ms", "--kill-after", "300ms", "--exec", command);
    String id = enqueue("slow", "{}", "--max-attempts", "1");

    AtomicReference<ProcessHandle> sleep = new AtomicReference<>();
    await().atMost(WAIT).until(() -> {
      Optional<ProcessHandle> found = ProcessHandle.current().descendants()
          .filter(p -> p.info().command().map(c -> c.endsWith("/sleep")).orElse(false))
          .findFirst();
      found.ifPresent(sleep::set);
      return found.isPresent();
    });

    TaskInfo dead = awaitDone(id);
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.lastError().errorClass()).isEqualTo("dev.baton.TaskTimeoutException");
    assertThat(dead.lastError().message()).isEqualTo("task timed out after 500ms");
    await().atMost(Duration.ofSeconds(10)).until(() -> !sleep.get().isAlive());
  }

  @Test
  void stopLetsRunningTasksFinishWithinGrace() throws Exception {
    start("--queue", "long", "--grace", "20s", "--exec", "sleep 1; echo '\"finished\"'");
    String id = enqueue("long", "{}");
    BatonClient client = redis.client();
    await().atMost(WAIT).until(() -> client.inspector().task(id).state() == TaskState.RUNNING);

    assertThat(worker.stop()).isZero();

    TaskInfo task = client.inspector().task(id);
    assertThat(task.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(task.resultJson()).isEqualTo("\"finished\"");
    assertThat(worker.err.toString()).contains("stopping: waiting up to PT20S for 1 running task(s)");
  }

  /**
   * A program missing at run time (exit 127) is the worker's fault: the tasks are released with no
   * attempt charged, the worker backs off and logs it at ERROR once per back-off; once the program
   * is there, they succeed on their first attempt.
   */
  @Test
  void aMissingProgramReleasesTasksUncountedUntilItIsThere() throws Exception {
    LogCapture logs = logs();
    Path tool = tmp.resolve("tool");
    start("--queue", "needs-tool", "--concurrency", "2", "--exec", "cat >/dev/null; " + tool);
    List<String> ids = List.of(enqueue("needs-tool", "{}", "--max-attempts", "1"),
        enqueue("needs-tool", "{}", "--max-attempts", "1"), enqueue("needs-tool", "{}", "--max-attempts", "1"));

    await().atMost(WAIT).until(() -> logs.containing("worker fault in needs-tool").size() >= 2);
    BatonClient client = redis.client();
    for (String id : ids) {
      TaskInfo t = client.inspector().task(id);
      assertThat(t.state()).as(id).isIn(TaskState.QUEUED, TaskState.RUNNING);
      assertThat(t.history()).as(id).isEmpty();
    }
    assertThat(client.inspector().stats("needs-tool").dead()).isZero();
    assertThat(logs.containing("worker fault in needs-tool").get(0))
        .startsWith("ERROR worker fault in needs-tool (task ")
        .contains("command not found (exit 127): /bin/sh: 1: " + tool + ": not found")
        .contains("not charged an attempt; fetching of needs-tool paused for 1000 ms");

    Files.writeString(tool, "#!/bin/sh\necho '\"ok\"'\n");
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (String id : ids) {
      TaskInfo done = client.dispatcher().awaitResult(id, Duration.ofSeconds(60));
      assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(done.attempts()).isEqualTo(1);
      assertThat(done.history()).hasSize(1);
    }
  }

  @Test
  void aCommandThatIsNotFoundFailsTheWorkerAtStart() {
    Cli.Result typo = cli.run("worker", "--queue", "q", "--exec", "summarise-typo-xyz --fast");
    assertThat(typo.exitCode()).as(typo.err()).isEqualTo(2);
    assertThat(typo.err()).startsWith("baton: --exec: 'summarise-typo-xyz' is not a shell builtin nor a program "
        + "on the PATH");

    Cli.Result path = cli.run("worker", "--queue", "q", "--exec", tmp.resolve("missing.sh") + " arg");
    assertThat(path.exitCode()).as(path.err()).isEqualTo(2);
    assertThat(path.err()).startsWith("baton: --exec: '" + tmp.resolve("missing.sh") + "' does not exist");
  }

  /**
   * A background child that keeps stdout open (the shell exits 0 at once) does not hold the task:
   * it succeeds, the child is stopped with the command, and no pipe is left open in the worker.
   */
  @Test
  void aBackgroundChildNeitherHoldsTheTaskNorOutlivesIt() throws Exception {
    start("--queue", "bg", "--timeout", "20s", "--kill-after", "1s", "--exec",
        "cat >/dev/null; sleep 600 & echo \"{\\\"shell\\\":$$,\\\"bg\\\":$!}\"");
    // one client for the whole test, and one task first: every pipe the worker and the client
    // keep for good is open before the count
    BatonClient client = redis.client();
    client.dispatcher().awaitResult(client.dispatcher().enqueue(TaskRequest.builder("bg").build()).id(), WAIT);
    long pipesBefore = openPipes();

    List<Long> children = new java.util.ArrayList<>();
    for (int i = 0; i < 10; i++) {
      TaskInfo done = client.dispatcher().awaitResult(
          client.dispatcher().enqueue(TaskRequest.builder("bg").build()).id(), WAIT);
      assertThat(done.state()).as(String.valueOf(done.lastError())).isEqualTo(TaskState.SUCCEEDED);
      assertThat(done.attempts()).isEqualTo(1);
      var result = dev.baton.JsonCodec.jackson().decode(done.resultJson(), tools.jackson.databind.JsonNode.class);
      children.add(result.get("bg").asLong());
      assertThat(ProcessGroup.pidsInGroup(result.get("shell").asLong())).as("group of task " + i).isEmpty();
    }
    for (long pid : children) {
      assertThat(alive(pid)).as("background child " + pid).isFalse();
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(openPipes()).isLessThanOrEqualTo(pipesBefore));
  }

  /** A process the command left behind in its group (orphaned, so not its descendant) is stopped at the timeout. */
  @Test
  void timeoutStopsTheWholeProcessGroup() throws Exception {
    start("--queue", "orphans", "--timeout", "1s", "--kill-after", "300ms", "--exec",
        "cat >/dev/null; (sleep 300 & echo $! > " + tmp + "/orphan-$BATON_TASK_ID); sleep 30");
    String id = enqueue("orphans", "{}", "--max-attempts", "1");
    Path pidFile = tmp.resolve("orphan-" + id);
    await().atMost(WAIT).until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
    long orphan = Long.parseLong(Files.readString(pidFile).strip());
    ProcessGroup.Stat stat = ProcessGroup.stat(orphan);
    assertThat(stat).isNotNull();
    assertThat(stat.pgrp()).as("the command's own group, not the worker's")
        .isNotEqualTo(ProcessGroup.stat(ProcessHandle.current().pid()).pgrp());

    TaskInfo dead = awaitDone(id);
    assertThat(dead.lastError().errorClass()).isEqualTo("dev.baton.TaskTimeoutException");
    await().atMost(Duration.ofSeconds(10)).until(() -> !alive(orphan));
    await().atMost(Duration.ofSeconds(10)).until(() -> ProcessGroup.pidsInGroup(stat.pgrp()).isEmpty());
  }

  /** Alive and not a zombie. */
  private static boolean alive(long pid) {
    ProcessGroup.Stat st = ProcessGroup.stat(pid);
    return st != null && st.state() != 'Z' && st.state() != 'X';
  }

  /** Pipes this JVM holds open. */
  private static long openPipes() throws java.io.IOException {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().startsWith("pipe:");
        } catch (java.io.IOException e) {
          return false; // closed meanwhile (or the directory stream's own fd)
        }
      }).count();
    }
  }

  @Test
  void invalidWorkerOptionsAreUsageErrors() {
    Cli.Result zero = cli.run("worker", "--queue", "q", "--concurrency", "0", "--exec", "true");
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err()).startsWith("baton: concurrency must be in [1, 10000], got 0");
    assertThat(cli.run("worker", "--queue", "q", "--exec", "true", "--timeout", "soon").exitCode()).isEqualTo(2);
    assertThat(cli.run("worker", "--queue", "q,q", "--exec", "true").exitCode()).isEqualTo(2);
    assertThat(cli.run("worker", "--queue", "q").exitCode()).isEqualTo(2);
  }
}
