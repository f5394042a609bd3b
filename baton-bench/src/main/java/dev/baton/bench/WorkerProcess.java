package dev.baton.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The harness's handle on a {@link BenchWorkerMain} JVM: started with this JVM's java binary and
 * class path (the shaded CLI jar, or the test class path), driven over stdin and stdout. Its stderr
 * goes to a temporary file that is shown when it fails.
 */
final class WorkerProcess implements AutoCloseable {
  private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
  private final Path log;

  private WorkerProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread.ofPlatform().daemon(true).name("baton-bench-worker-stdout").start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          replies.add(line);
        }
      } catch (IOException e) {
        // the process ended
      }
      replies.add("EOF");
    });
  }

  /** Starts the JVM and waits until it is ready for commands. */
  static WorkerProcess start(String redisUri) throws IOException {
    Path log = Files.createTempFile("baton-bench-worker-", ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(BenchWorkerMain.class.getName());
    cmd.add(redisUri);
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    WorkerProcess w = new WorkerProcess(p, log);
    try {
      w.expect("HELLO");
    } catch (IOException e) {
      w.close();
      throw e;
    }
    return w;
  }

  /** Serves {@code agentTypes} under {@code prefix} with no-op handlers; returns once it reads. */
  void serve(String prefix, List<String> agentTypes, int concurrency) throws IOException {
    send("SERVE " + prefix + " " + String.join(",", agentTypes) + " " + concurrency);
    expect("READY");
  }

  /** Shuts its worker down (it stays up for the next {@link #serve}). */
  void stop() throws IOException {
    send("STOP");
    expect("STOPPED");
  }

  /** CPU time the process has used so far (user + system). */
  Duration cpu() {
    return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
  }

  private void send(String command) throws IOException {
    stdin.write(command + "\n");
    stdin.flush();
  }

  private void expect(String reply) throws IOException {
    String got;
    try {
      got = replies.poll(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the worker process", e);
    }
    if (!reply.equals(got)) {
      throw new IOException("worker process answered " + (got == null ? "nothing" : "'" + got + "'") + " instead of "
          + reply + "; its log ends with: " + tail());
    }
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        send("EXIT");
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // a temp file
    }
  }
}
