package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.BatonClient;
import dev.baton.TaskError;
import dev.baton.TaskInfo;
import dev.baton.TaskState;
import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code baton worker --exec}, in-process. */
class WorkerCommandIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final Duration WAIT = Duration.ofSeconds(20);

  private final Cli cli = new Cli(redis);
  private Cli.RunningWorker worker;

  @AfterEach
  void stopWorker() throws Exception {
    if (worker != null && !worker.exited()) {
      worker.stop();
    }
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
    start("--queue", "flaky", "--exec",
        "if [ \"$BATON_ATTEMPT\" -lt 2 ]; then echo \"transient failure $BATON_ATTEMPT\" >&2; exit 1; fi; echo '\"ok\"'");
    String id = enqueue("flaky", "{}", "--max-attempts", "3");

    TaskInfo done = awaitDone(id);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.attempts()).isEqualTo(2);
    assertThat(done.resultJson()).isEqualTo("\"ok\"");
    TaskError first = done.history().get(0);
    assertThat(first.errorClass()).isEqualTo(ExecHandler.CommandFailedException.class.getName());
    assertThat(first.message()).isEqualTo("command exited with code 1; stderr: transient failure 1");
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
