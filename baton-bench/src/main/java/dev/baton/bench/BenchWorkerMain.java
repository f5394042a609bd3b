package dev.baton.bench;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.HandlerOptions;
import dev.baton.Worker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The second worker process of the end-to-end scenario: a JVM that serves no-op handlers when told.
 * It stays up across cases, so its JIT warms up like the harness's own worker.
 *
 * <p>Argument: the Redis URI. Commands on stdin, one per line, each answered on stdout:
 * {@code SERVE <prefix> <agentType[,agentType...]> <concurrency>} answers {@code READY};
 * {@code STOP} (shut the worker down) answers {@code STOPPED}; {@code EXIT} or the end of stdin (the
 * harness died) stops the worker and exits.
 */
public final class BenchWorkerMain {
  private BenchWorkerMain() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: BenchWorkerMain <redis-uri>");
      System.exit(2);
    }
    String uri = args[0];
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    reply("HELLO");
    BatonClient client = null;
    Worker worker = null;
    String line;
    while ((line = in.readLine()) != null) {
      String[] words = line.strip().split(" ");
      try {
        switch (words[0]) {
          case "SERVE" -> {
            stop(worker, client);
            client = BatonClient.connect(BatonConfig.builder().redisUri(uri).keyPrefix(words[1]).build());
            Worker.Builder b = Worker.builder(client);
            HandlerOptions options = HandlerOptions.withConcurrency(Integer.parseInt(words[3]));
            for (String type : words[2].split(",")) {
              b.handle(type, options, ctx -> null);
            }
            worker = b.build().start();
            reply("READY");
          }
          case "STOP" -> {
            stop(worker, client);
            worker = null;
            client = null;
            reply("STOPPED");
          }
          case "EXIT" -> {
            stop(worker, client);
            reply("BYE");
            return;
          }
          default -> reply("ERROR unknown command " + words[0]);
        }
      } catch (RuntimeException e) {
        reply("ERROR " + e.toString().replace('\n', ' '));
      }
    }
    stop(worker, client);
  }

  private static void stop(Worker worker, BatonClient client) {
    if (worker != null) {
      worker.shutdown(Duration.ofSeconds(10));
    }
    if (client != null) {
      client.close();
    }
  }

  private static void reply(String s) {
    System.out.println(s);
    System.out.flush();
  }
}
