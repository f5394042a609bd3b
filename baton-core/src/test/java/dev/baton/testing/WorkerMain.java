package dev.baton.testing;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.HandlerOptions;
import dev.baton.Worker;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A worker process for fault-injection tests: serves one agent type with a handler that sleeps for
 * ten minutes, so its tasks are mid-run when the test kills it.
 *
 * <p>Arguments: redis URI, key prefix, agent type, concurrency. On stdout it prints {@code CONSUMER
 * <name>} and {@code READY} once it fetches, then {@code RUNNING <task id>} as each handler starts.
 */
public final class WorkerMain {
  private WorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 4) {
      System.err.println("usage: WorkerMain <redis-uri> <key-prefix> <agent-type> <concurrency>");
      System.exit(2);
    }
    BatonClient baton = BatonClient.connect(BatonConfig.builder().redisUri(args[0]).keyPrefix(args[1]).build());
    HandlerOptions options = HandlerOptions.withConcurrency(Integer.parseInt(args[3])).timeout(Duration.ofMinutes(30));
    Worker worker = Worker.builder(baton)
        .handle(args[2], options, ctx -> {
          System.out.println("RUNNING " + ctx.taskId());
          System.out.flush();
          Thread.sleep(Duration.ofMinutes(10));
          return "woke up";
        })
        .build()
        .start();
    System.out.println("CONSUMER " + worker.consumerName());
    System.out.println("READY");
    System.out.flush();
    new CountDownLatch(1).await(); // until killed
  }
}
