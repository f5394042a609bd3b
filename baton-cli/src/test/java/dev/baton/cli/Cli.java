package dev.baton.cli;

import dev.baton.testing.RedisExtension;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine;

/** Runs {@code baton} in-process against a test's private Redis, capturing stdout and stderr. */
final class Cli {
  record Result(int exitCode, String out, String err) {
    /** Stdout lines. */
    List<String> lines() {
      return out.lines().toList();
    }
  }

  private final RedisExtension redis;

  Cli(RedisExtension redis) {
    this.redis = redis;
  }

  /** Runs with {@code --redis} and {@code --prefix} of this test, given before the verb. */
  Result run(String... args) {
    return runRaw(withRedis(args));
  }

  Result runWithStdin(String stdin, String... args) {
    return runWithStdin(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), args);
  }

  Result runWithStdin(java.io.InputStream stdin, String... args) {
    CommandLine cmd = BatonCli.commandLine(new BatonCli(Map.of()));
    EnqueueCommand enqueue = cmd.getSubcommands().get("enqueue").getCommand();
    enqueue.stdin = stdin;
    return execute(cmd, withRedis(args));
  }

  /** Runs exactly these arguments, with an empty environment. */
  static Result runRaw(String... args) {
    return runRaw(Map.of(), args);
  }

  static Result runRaw(Map<String, String> env, String... args) {
    return execute(BatonCli.commandLine(new BatonCli(env)), args);
  }

  private static Result execute(CommandLine cmd, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  private String[] withRedis(String... args) {
    List<String> all = new ArrayList<>(List.of("--redis", redis.uri(), "--prefix", redis.prefix()));
    all.addAll(List.of(args));
    return all.toArray(String[]::new);
  }

  /** A {@code baton worker} running on its own thread until {@link #stop()}. */
  final class RunningWorker {
    final StringWriter err = new StringWriter();
    final StringWriter out = new StringWriter();
    private final WorkerCommand command;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    RunningWorker(String... args) {
      CommandLine cmd = BatonCli.commandLine(new BatonCli(Map.of()));
      cmd.setOut(new PrintWriter(out, true));
      cmd.setErr(new PrintWriter(err, true));
      command = cmd.getSubcommands().get("worker").getCommand();
      List<String> all = new ArrayList<>(List.of("worker"));
      all.addAll(List.of(args));
      String[] argv = withRedis(all.toArray(String[]::new));
      Thread.ofPlatform().name("cli-worker").daemon(true).start(() -> {
        try {
          exit.complete(cmd.execute(argv));
        } catch (Throwable t) {
          exit.completeExceptionally(t);
        }
      });
    }

    boolean serving() {
      return err.toString().contains(" serving ");
    }

    /** Stops as SIGTERM would and returns the exit code. */
    int stop() throws Exception {
      command.requestStop();
      return exit.get(60, java.util.concurrent.TimeUnit.SECONDS);
    }

    boolean exited() {
      return exit.isDone();
    }
  }

  RunningWorker worker(String... args) {
    return new RunningWorker(args);
  }
}
