package dev.baton.bench;

import dev.baton.testkit.WorkerJvm;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The harness's handle on a {@link BenchWorkerMain} JVM, started on this JVM's java and class path
 * (the shaded CLI jar, or the test class path) and driven over stdin and stdout. Its stderr goes to
 * a temporary file that is quoted when it fails.
 */
final class SecondWorker implements AutoCloseable {
  private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(15);

  private final WorkerJvm jvm;

  private SecondWorker(WorkerJvm jvm) {
    this.jvm = jvm;
  }

  /** Starts the JVM and waits until it is ready for commands. */
  static SecondWorker start(String redisUri) throws IOException {
    SecondWorker w = new SecondWorker(WorkerJvm.start(BenchWorkerMain.class, redisUri));
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
    jvm.send("SERVE " + prefix + " " + String.join(",", agentTypes) + " " + concurrency);
    expect("READY");
  }

  /** Shuts its worker down (it stays up for the next {@link #serve}). */
  void stop() throws IOException {
    jvm.send("STOP");
    expect("STOPPED");
  }

  /** CPU time the process has used so far (user + system). */
  Duration cpu() {
    return jvm.cpu();
  }

  private void expect(String reply) throws IOException {
    String got;
    try {
      got = jvm.nextLine(REPLY_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the worker process", e);
    }
    if (!reply.equals(got)) {
      throw new IOException("worker process answered " + (got == null ? "nothing" : "'" + got + "'") + " instead of "
          + reply + "; its log ends with: " + jvm.logTail(5));
    }
  }

  /** Asks the JVM to exit, kills it if it has not within 15 s, and deletes its log. */
  @Override
  public void close() {
    try {
      if (jvm.isAlive()) {
        jvm.send("EXIT");
        jvm.waitFor(EXIT_TIMEOUT);
      }
    } catch (IOException e) {
      // it went away: killed below
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      jvm.close();
    }
  }
}
