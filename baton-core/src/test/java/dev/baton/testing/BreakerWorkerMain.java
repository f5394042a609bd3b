package dev.baton.testing;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.DependencyUnavailableException;
import dev.baton.HandlerOptions;
import dev.baton.TaskContext;
import dev.baton.Worker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A worker process for breaker tests: serves one agent type whose handler calls a {@link
 * FlakyHttpStub} through the dependency {@code stub}, declared by the agent type. A 5xx answer is
 * reported as {@link DependencyUnavailableException}.
 *
 * <p>Arguments: redis URI, key prefix, agent type, concurrency, stub URL, then the breaker: count
 * window, minimum calls, failure rate threshold (%), wait in open (ms), permitted probes, slow-call
 * duration (ms), and the release wave (ms). Prints {@code CONSUMER <name>} and {@code READY}.
 */
public final class BreakerWorkerMain {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private BreakerWorkerMain() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 12) {
      System.err.println("usage: BreakerWorkerMain <redis-uri> <prefix> <agent-type> <concurrency> <stub-url> "
          + "<window> <min-calls> <failure-%> <wait-ms> <probes> <slow-ms> <wave-ms>");
      System.exit(2);
    }
    BatonClient baton = BatonClient.connect(BatonConfig.builder().redisUri(args[0]).keyPrefix(args[1]).build());
    URI stub = URI.create(args[4]);
    BreakerConfig breaker = BreakerConfig.builder()
        .countWindow(Integer.parseInt(args[5]))
        .minimumCalls(Integer.parseInt(args[6]))
        .failureRateThreshold(Float.parseFloat(args[7]))
        .waitInOpen(Duration.ofMillis(Long.parseLong(args[8])))
        .permittedProbes(Integer.parseInt(args[9]))
        .slowCallDuration(Duration.ofMillis(Long.parseLong(args[10])))
        .build();
    Worker worker = Worker.builder(baton)
        .dependency(DependencyConfig.of("stub", breaker))
        .releaseWave(Duration.ofMillis(Long.parseLong(args[11])))
        .handle(args[2], HandlerOptions.withConcurrency(Integer.parseInt(args[3])).dependencies("stub"),
            ctx -> callStub(ctx, stub))
        .build()
        .start();
    System.out.println("CONSUMER " + worker.consumerName());
    System.out.println("READY");
    System.out.flush();
    new CountDownLatch(1).await(); // until killed
  }

  private static Object callStub(TaskContext ctx, URI stub) throws Exception {
    return ctx.dependency("stub").call(() -> {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(stub).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() >= 500) {
        throw new DependencyUnavailableException("stub", "stub answered " + r.statusCode());
      }
      return r.body();
    });
  }
}
