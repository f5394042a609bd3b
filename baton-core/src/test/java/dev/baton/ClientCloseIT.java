package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import dev.baton.testing.RedisExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link BatonClient#close()} under a running worker stops the worker first, in two phases: it
 * stops fetching, gives the running task the worker's shutdown grace, then interrupts it and
 * releases it at once to other workers, and only then closes the connections. The log of those
 * seconds (slf4j-simple writes to {@code System.err}, captured here) holds the one line saying the
 * task was released and no failure of a worker loop on a closed connection, no stack trace.
 */
class ClientCloseIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";

  @Test
  void closingTheClientUnderARunningWorkerDrainsAndReleasesWithoutAWarningFlood() throws Exception {
    BatonClient baton = BatonClient.connect(redis.config().build());
    CountDownLatch running = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    Worker worker = Worker.builder(baton)
        .shutdownGrace(Duration.ofMillis(300))
        .handle(Q, HandlerOptions.DEFAULT.lease(Duration.ofSeconds(30)), ctx -> {
          running.countDown();
          try {
            Thread.sleep(60_000);
          } catch (InterruptedException e) {
            interrupted.set(true);
            throw e;
          }
          return "never";
        })
        .build()
        .start();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

    String log = capturingStderr(() -> {
      baton.close();
      // the flood came from the worker's loops failing on the closed connections, for seconds
      Thread.sleep(3_000);
    });

    assertThat(interrupted).as("the task outlived the 300 ms grace and was interrupted").isTrue();
    assertThat(worker.awaitTermination(Duration.ZERO)).as("the worker was shut down by the client").isTrue();
    List<String> warnings = log.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
    assertThat(warnings).as("log while closing:%n%s", log).hasSize(1);
    assertThat(warnings.getFirst()).contains("still running at the end of the shutdown grace", "1 released");
    assertThat(log.lines().filter(l -> l.startsWith("\tat ") || l.contains("Exception"))).as(log).isEmpty();

    BatonClient other = redis.client();
    TaskInfo released = other.inspector().task(id);
    assertThat(released.state()).isEqualTo(TaskState.QUEUED);
    assertThat(released.attempts()).isZero();
    try (Worker next = Worker.builder(other).handle(Q, ctx -> "ran elsewhere").build().start()) {
      assertThat(other.dispatcher().awaitResult(id, Duration.ofSeconds(10)).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    assertThatThrownBy(worker::start).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aWorkerCannotStartOnAClosedClient() {
    BatonClient baton = BatonClient.connect(redis.config().build());
    Worker worker = Worker.builder(baton).handle(Q, ctx -> "x").build();
    baton.close();
    assertThatThrownBy(worker::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  interface Action {
    void run() throws Exception;
  }

  /** Runs {@code action} with {@code System.err} copied into the returned text. */
  private static String capturingStderr(Action action) throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream copy = new ByteArrayOutputStream();
    PrintStream tee = new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        original.write(b);
        synchronized (copy) {
          copy.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        original.write(b, off, len);
        synchronized (copy) {
          copy.write(b, off, len);
        }
      }
    }, true, StandardCharsets.UTF_8);
    System.setErr(tee);
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    synchronized (copy) {
      return copy.toString(StandardCharsets.UTF_8);
    }
  }
}
