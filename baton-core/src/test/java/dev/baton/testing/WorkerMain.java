package dev.baton.testing;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.HandlerOptions;
import dev.baton.TaskContext;
import dev.baton.TaskHandler;
import dev.baton.Worker;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A worker process for fault-injection tests: serves one agent type with a handler that runs for
 * ten minutes, so its tasks are mid-run when the test kills, pauses or cuts it off.
 *
 * <p>Arguments: redis URI, key prefix, agent type, concurrency, and optionally the lease in ms
 * (default {@link HandlerOptions#DEFAULT_LEASE}), a handler mode, and the consumer idle limit in ms
 * (default {@link Worker#CONSUMER_IDLE_LIMIT}):
 *
 * <ul>
 *   <li>{@code sleep} (default): sleeps ten minutes and returns; a cancellation interrupts it and
 *       the handler just throws.
 *   <li>{@code zombie}: works in small steps for ten minutes, watching for cancellation. When it is
 *       cancelled it prints {@code CANCELLED <task id> <reason>} and then, like a handler that
 *       ignores cancellation, returns a result anyway and prints {@code RETURNED <task id>}: the
 *       worker must not write that result.
 *   <li>{@code quick}: works 20 to 80 ms and returns {@code "done"}: tasks flow steadily.
 *   <li>{@code poison}: as {@code quick}, except for a payload {@code {"poison":true}}: then it
 *       prints {@code POISON <task id>} and halts the JVM with exit code {@value #POISON_EXIT}, like
 *       a task that crashes its worker (a native crash, an out-of-memory kill).
 *   <li>{@code brief}: sleeps one second, prints {@code RETURNED <task id>} and returns, so the test
 *       can cut the worker off while its successes wait to be written.
 * </ul>
 *
 * <p>On stdout it prints {@code CONSUMER <name>} and {@code READY} once it fetches, then {@code
 * RUNNING <task id>} as each handler starts.
 */
public final class WorkerMain {
  public static final int POISON_EXIT = 70;

  private WorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length < 4 || args.length > 7) {
      System.err.println("usage: WorkerMain <redis-uri> <key-prefix> <agent-type> <concurrency> [lease-ms] "
          + "[sleep|zombie|quick|poison|brief] [consumer-idle-ms]");
      System.exit(2);
    }
    BatonClient baton = BatonClient.connect(BatonConfig.builder().redisUri(args[0]).keyPrefix(args[1]).build());
    HandlerOptions options = HandlerOptions.withConcurrency(Integer.parseInt(args[3])).timeout(Duration.ofMinutes(30));
    if (args.length >= 5) {
      options = options.lease(Duration.ofMillis(Long.parseLong(args[4])));
    }
    String mode = args.length >= 6 ? args[5] : "sleep";
    TaskHandler handler = switch (mode) {
      case "sleep" -> WorkerMain::sleep;
      case "zombie" -> WorkerMain::zombie;
      case "quick" -> WorkerMain::quick;
      case "poison" -> WorkerMain::poison;
      case "brief" -> WorkerMain::brief;
      default -> {
        System.err.println("unknown handler mode: " + mode);
        System.exit(2);
        yield null;
      }
    };
    Worker.Builder builder = Worker.builder(baton).handle(args[2], options, handler);
    if (args.length >= 7) {
      builder.consumerIdleLimit(Duration.ofMillis(Long.parseLong(args[6])));
    }
    Worker worker = builder.build().start();
    System.out.println("CONSUMER " + worker.consumerName());
    System.out.println("READY");
    System.out.flush();
    new CountDownLatch(1).await(); // until killed
  }

  private static Object sleep(TaskContext ctx) throws InterruptedException {
    marker("RUNNING " + ctx.taskId());
    Thread.sleep(Duration.ofMinutes(10));
    return "woke up";
  }

  private static Object poison(TaskContext ctx) throws InterruptedException {
    if (ctx.payloadJson().contains("\"poison\":true")) {
      marker("POISON " + ctx.taskId());
      Runtime.getRuntime().halt(POISON_EXIT);
    }
    return quick(ctx);
  }

  private static Object quick(TaskContext ctx) throws InterruptedException {
    Thread.sleep(20 + ThreadLocalRandom.current().nextInt(60));
    return "done";
  }

  private static Object brief(TaskContext ctx) throws InterruptedException {
    marker("RUNNING " + ctx.taskId());
    Thread.sleep(Duration.ofSeconds(1));
    marker("RETURNED " + ctx.taskId());
    return "brief result";
  }

  private static Object zombie(TaskContext ctx) {
    marker("RUNNING " + ctx.taskId());
    long end = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (System.nanoTime() < end && !ctx.isCancelled()) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        break; // cancelled: the reason is set before the interrupt
      }
    }
    String reason;
    try {
      ctx.throwIfCancelled();
      reason = null;
    } catch (CancellationException e) {
      reason = e.getMessage();
    }
    if (reason != null) {
      marker("CANCELLED " + ctx.taskId() + " " + reason);
    }
    marker("RETURNED " + ctx.taskId());
    return "zombie result";
  }

  private static synchronized void marker(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
