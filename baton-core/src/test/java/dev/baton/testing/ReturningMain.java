package dev.baton.testing;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.HandlerOptions;
import dev.baton.TaskRequest;
import dev.baton.Worker;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An application whose {@code main} starts a worker, enqueues one task whose handler runs for two
 * minutes, and returns while it runs, closing nothing: every Baton thread is a daemon thread, so the
 * JVM then exits.
 *
 * <p>Arguments: redis URI, key prefix, agent type, lease in ms, and {@code hook} or {@code
 * no-hook} (whether the worker registers its JVM shutdown hook, with a 200 ms shutdown grace). On
 * stdout: {@code ENQUEUED <id>}, {@code RUNNING <id>} when the handler starts, {@code RETURNING}
 * just before {@code main} returns, and {@code INTERRUPTED <id>} if the handler is interrupted.
 */
public final class ReturningMain {
  private ReturningMain() {}

  public static void main(String[] args) throws InterruptedException {
    BatonClient baton = BatonClient.connect(BatonConfig.builder().redisUri(args[0]).keyPrefix(args[1]).build());
    CountDownLatch running = new CountDownLatch(1);
    Worker.builder(baton)
        .shutdownHook(args[4].equals("hook"))
        .shutdownGrace(Duration.ofMillis(200))
        .handle(args[2], HandlerOptions.DEFAULT.lease(Duration.ofMillis(Long.parseLong(args[3]))), ctx -> {
          System.out.println("RUNNING " + ctx.taskId());
          running.countDown();
          try {
            Thread.sleep(120_000);
          } catch (InterruptedException e) {
            System.out.println("INTERRUPTED " + ctx.taskId());
            throw e;
          }
          return "slept";
        })
        .build()
        .start();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(args[2]).build()).id();
    System.out.println("ENQUEUED " + id);
    if (!running.await(30, TimeUnit.SECONDS)) {
      System.out.println("NOT STARTED");
      System.exit(3);
    }
    System.out.println("RETURNING");
  }
}
