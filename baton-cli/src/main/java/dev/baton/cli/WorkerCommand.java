package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.HandlerOptions;
import dev.baton.Worker;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code baton worker}: serves agent types by running a shell command per task. */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a shell command for each task of the queues.",
      "COMMAND runs through /bin/sh -c, in a session of its own, with the payload (JSON) on stdin and "
          + "BATON_TASK_ID, BATON_AGENT_TYPE, BATON_ATTEMPT, BATON_MAX_ATTEMPTS and BATON_DEADLINE in the environment. "
          + "It does not see REDIS_URL nor any other BATON_* variable of the worker.",
      "At start, the first word of COMMAND must name a program, a path or a shell builtin (compound "
          + "commands are not checked)."
    },
    footerHeading = "%nExit-code contract of COMMAND:%n",
    footer = {
      "  0      success. Stdout is the result: JSON as is, other text is stored as",
      "         a JSON string, empty stdout as null.",
      "  65     permanent failure (EX_DATAERR): not retried, the task goes to the",
      "         dead-letter queue.",
      "  126    the worker's fault (not executable, not found): the task is",
      "  127    released uncounted and the worker backs off (1 s doubling to 30 s).",
      "         So is a command that cannot be started (out of file descriptors",
      "         or memory).",
      "  other  failure: retried with backoff while attempts remain, then",
      "         dead-lettered. The error records the exit code and the end of",
      "         stderr (about " + ExecHandler.STDERR_TAIL_CHARS + " characters).",
      "",
      "When a task's deadline passes (its --timeout, else the worker's), the",
      "attempt fails as timed out: every process in COMMAND's process group gets",
      "SIGTERM, then SIGKILL after --kill-after. When COMMAND's shell exits, what",
      "it left running in its group (a background child) is stopped the same way.",
      "",
      "SIGTERM or SIGINT (Ctrl-C reaches only the worker, not COMMAND):",
      "stop fetching, let running tasks finish within --grace,",
      "then stop them and release their tasks at once to other workers (never lost,",
      "never marked done, the interrupted attempt not counted).",
      "The worker then exits 0. A second signal stops at once."
    })
final class WorkerCommand implements Callable<Integer> {
  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Option(names = {"-q", "--queue"}, required = true, split = ",", paramLabel = "AGENT_TYPE",
      description = "Agent types to serve, comma-separated or repeated.")
  List<String> queues;

  @Option(names = {"-c", "--concurrency"}, defaultValue = "1", paramLabel = "N",
      description = "Commands running at once per agent type (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(names = "--exec", required = true, paramLabel = "COMMAND", description = "Shell command run per task.")
  String command;

  @Option(names = "--timeout", defaultValue = "5m", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "Timeout of tasks that set none (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--grace", defaultValue = "30s", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "On SIGTERM, how long running tasks may still take (default: ${DEFAULT-VALUE}).")
  Duration grace;

  @Option(names = "--kill-after", defaultValue = "5s", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "How long a timed-out command has between SIGTERM and SIGKILL (default: ${DEFAULT-VALUE}).")
  Duration killAfter;

  @Option(names = "--lease", defaultValue = "15s", converter = DurationConverter.class, paramLabel = "DURATION",
      description = "How long a running task stays this worker's without a heartbeat; a task whose worker died "
          + "runs again elsewhere after about this long (default: ${DEFAULT-VALUE}).")
  Duration lease;

  @Option(names = "--max-deliveries", defaultValue = "5", paramLabel = "N",
      description = "Deliveries that may end without an outcome (worker crashed or hung) before the task is "
          + "dead-lettered as a poison task (default: ${DEFAULT-VALUE}).")
  int maxDeliveries;

  @Option(names = "--max-fault-releases", defaultValue = "5", paramLabel = "N",
      description = "Times one task may be released uncounted for a worker fault (exit 126/127, cannot start "
          + "/bin/sh, out of memory or file descriptors) before its next fault is charged as a failed attempt, "
          + "0 to 1000 (default: ${DEFAULT-VALUE}).")
  int maxFaultReleases;

  @Option(names = "--name", paramLabel = "NAME",
      description = "Consumer name, unique per running worker (default: host-pid-random).")
  String name;

  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch finished = new CountDownLatch(1);

  /** Asks a running {@link #call()} to shut down gracefully, as SIGTERM does. */
  void requestStop() {
    stopRequested.countDown();
  }

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    HandlerOptions options;
    try {
      options = HandlerOptions.DEFAULT.concurrency(concurrency).timeout(timeout).lease(lease)
          .maxDeliveries(maxDeliveries);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    // Baton's own settings (REDIS_URL, BATON_*) and the Redis password stay out of the commands
    Map<String, String> childEnv = ExecHandler.ChildEnvironment.of(System.getenv());
    String problem = ExecPreflight.problem(command, childEnv, Path.of("").toAbsolutePath());
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), "--exec: " + problem);
    }
    Path setsid = ExecPreflight.setsid(childEnv);
    if (setsid == null) {
      err.println("baton: warning: setsid (util-linux) not found: commands run in the worker's process group, so a "
          + "terminal's Ctrl-C reaches them and a background process they leave can outlive their task");
      err.flush();
    }
    // Installed first: a signal during start-up stops the worker as soon as it is up.
    StopSignals signals = StopSignals.install(this::requestStop, finished, grace.plus(killAfter).plusSeconds(10));
    try (BatonClient client = globals.connect()) {
      ExecHandler handler = new ExecHandler(command, killAfter, client.config().maxPayloadBytes(), childEnv, setsid);
      Worker worker = build(client, options, handler);
      try {
        worker.start();
      } catch (RuntimeException e) {
        worker.shutdown(Duration.ZERO);
        throw e;
      }
      err.println("worker " + worker.consumerName() + " serving " + worker.agentTypes());
      err.flush();
      boolean interrupted = awaitStop();
      int running = worker.inFlight();
      if (running > 0) {
        err.println("worker " + worker.consumerName() + " stopping: waiting up to " + grace + " for " + running
            + " running task(s)");
        err.flush();
      }
      boolean clean = worker.shutdown(grace);
      // commands interrupted after the grace period may still be dying: no child outlives the worker
      handler.destroyAll();
      err.println("worker " + worker.consumerName() + " stopped"
          + (clean ? "" : "; tasks still running after the grace period were left pending"));
      err.flush();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    } finally {
      signals.close();
      finished.countDown();
    }
    return ExitCodes.OK;
  }

  private Worker build(BatonClient client, HandlerOptions options, ExecHandler handler) {
    try {
      Worker.Builder b = Worker.builder(client).shutdownGrace(grace).maxFaultReleases(maxFaultReleases);
      if (name != null) {
        b.consumerName(name);
      }
      for (String q : queues) {
        b.handle(q.strip(), options, handler);
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /** Waits for a stop request; true when interrupted instead (an embedding program stopping us). */
  private boolean awaitStop() {
    try {
      stopRequested.await();
      return false;
    } catch (InterruptedException e) {
      return true; // stop as for SIGTERM; the interrupt is restored once the worker is down
    }
  }
}
