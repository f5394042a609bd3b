package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.BatonClient;
import dev.baton.TaskInfo;
import dev.baton.TaskState;
import dev.baton.testing.RedisExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class EnqueueCommandIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private final Cli cli = new Cli(redis);

  @Test
  void enqueuePrintsTheIdOfATaskThatExists() {
    Cli.Result r = cli.run("enqueue", "--queue", "summarize", "--payload", "{\"text\":\"hello\"}",
        "--max-attempts", "5", "--timeout", "90s", "--header", "traceparent=00-abc-def-01", "--header", "k=v");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(1);
    String id = r.lines().get(0);
    TaskInfo task = redis.client().inspector().task(id);
    assertThat(task.agentType()).isEqualTo("summarize");
    assertThat(task.state()).isEqualTo(TaskState.QUEUED);
    assertThat(task.payloadJson()).isEqualTo("{\"text\":\"hello\"}");
    assertThat(task.maxAttempts()).isEqualTo(5);
    assertThat(task.headers()).containsExactlyInAnyOrderEntriesOf(Map.of("traceparent", "00-abc-def-01", "k", "v"));
  }

  @Test
  void optionsMayFollowTheVerbAndAnIdMakesEnqueueIdempotent() {
    String[] args = {"enqueue", "--redis", redis.uri(), "--prefix", redis.prefix(), "--queue", "orders",
        "--id", "order-42", "--delay", "1h", "--payload", "{\"n\":1}"};
    Cli.Result first = Cli.runRaw(args);
    Cli.Result again = Cli.runRaw(args);

    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.out()).isEqualTo("order-42\n");
    assertThat(again.exitCode()).isZero();
    assertThat(again.out()).isEqualTo("order-42\n");
    assertThat(again.err()).contains("task order-42 already exists (state: scheduled)");
    TaskInfo task = redis.client().inspector().task("order-42");
    assertThat(task.state()).isEqualTo(TaskState.SCHEDULED);
    assertThat(Duration.between(task.createdAt(), task.scheduledAt())).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void fileOfJsonLinesEnqueuesOneTaskPerLineInOrder(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tasks.jsonl");
    Files.writeString(file, "{\"i\":1}\n\n  \n[1,2]\n\"text\"\r\n{\"i\":4}");

    Cli.Result r = cli.run("enqueue", "--queue", "bulk", "--file", file.toString(), "--batch-size", "2");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(4).doesNotHaveDuplicates();
    BatonClient client = redis.client();
    assertThat(r.lines()).extracting(id -> client.inspector().task(id).payloadJson())
        .containsExactly("{\"i\":1}", "[1,2]", "\"text\"", "{\"i\":4}");
    assertThat(client.inspector().stats("bulk").queued()).isEqualTo(4);
  }

  @Test
  void fileDashReadsStdin() {
    Cli.Result r = cli.runWithStdin("{\"a\":1}\n{\"a\":2}\n", "enqueue", "--queue", "piped", "--file", "-");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(2);
    assertThat(redis.client().inspector().task(r.lines().get(1)).payloadJson()).isEqualTo("{\"a\":2}");
  }

  @Test
  void invalidPayloadIsAUsageErrorAndNothingIsEnqueued() {
    Cli.Result r = cli.run("enqueue", "--queue", "q", "--payload", "{not json");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("baton: payload is not valid JSON: ");
    assertThat(redis.client().inspector().agentTypes()).isEmpty();
  }

  @Test
  void invalidLineInAFileNamesTheLineAndNothingIsEnqueued(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tasks.jsonl");
    Files.writeString(file, "{\"i\":1}\n\n{\"i\":2}\n{\"i\":3,}\n{\"i\":4}\n");

    Cli.Result r = cli.run("enqueue", "--queue", "bulk", "--file", file.toString());

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("baton: line 4 is not valid JSON: ");
    assertThat(r.err().lines()).hasSize(1);
    assertThat(redis.client().inspector().agentTypes()).isEmpty();
  }

  @Test
  void badOptionsAreUsageErrors(@TempDir Path dir) {
    assertThat(cli.run("enqueue", "--queue", "q", "--payload", "{}", "--delay", "5 minutes"))
        .satisfies(r -> {
          assertThat(r.exitCode()).isEqualTo(2);
          assertThat(r.err()).contains("'5 minutes' is not a duration");
        });
    assertThat(cli.run("enqueue", "--queue", "bad queue!", "--payload", "{}"))
        .satisfies(r -> {
          assertThat(r.exitCode()).isEqualTo(2);
          assertThat(r.err()).startsWith("baton: agentType: must match");
        });
    assertThat(cli.run("enqueue", "--queue", "q", "--payload", "{}", "--file", "x.jsonl").exitCode()).isEqualTo(2);
    assertThat(cli.run("enqueue", "--queue", "q", "--file", dir.resolve("missing.jsonl").toString()))
        .satisfies(r -> {
          assertThat(r.exitCode()).isEqualTo(2);
          assertThat(r.err()).contains("no such file");
        });
    assertThat(cli.run("enqueue", "--queue", "q", "--file", "-", "--id", "x").exitCode()).isEqualTo(2);
    assertThat(Cli.runRaw("--redis", "http://127.0.0.1:6379", "stats").exitCode()).isEqualTo(2);
    assertThat(Cli.runRaw("--redis", "redis://127.0.0.1:99999", "stats"))
        .satisfies(r -> {
          assertThat(r.exitCode()).isEqualTo(2);
          assertThat(r.err()).startsWith("baton: invalid --redis URL: ");
        });
    assertThat(redis.client().inspector().agentTypes()).isEmpty();
  }

  @Test
  void environmentSuppliesRedisUrlAndPrefix() {
    Map<String, String> env = Map.of("REDIS_URL", redis.uri(), "BATON_PREFIX", redis.prefix());
    Cli.Result r = Cli.runRaw(env, "enqueue", "--queue", "env", "--payload", "{}");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(redis.client().inspector().task(r.out().strip()).agentType()).isEqualTo("env");
  }

  @Test
  void unreachableRedisExitsThreeWithOneLine() throws Exception {
    int port;
    try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Cli.Result r = Cli.runRaw("--redis", "redis://127.0.0.1:" + port, "enqueue", "--queue", "q", "--payload", "{}");

    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("baton: cannot connect to Redis at redis://127.0.0.1:" + port);

    Cli.Result verbose = Cli.runRaw("--verbose", "--redis", "redis://127.0.0.1:" + port, "stats");
    assertThat(verbose.exitCode()).isEqualTo(3);
    assertThat(verbose.err().lines().count()).isGreaterThan(1);
    assertThat(verbose.err()).contains("\tat ");
  }

  @Test
  void durationsAcceptShortAndIsoForms() {
    assertThat(List.of("500ms", "10s", "5m", "1h", "2d", "1h30m", "PT10S", "pt0.5s"))
        .extracting(DurationConverter::parse)
        .containsExactly(Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofHours(1),
            Duration.ofDays(2), Duration.ofMinutes(90), Duration.ofSeconds(10), Duration.ofMillis(500));
  }
}
