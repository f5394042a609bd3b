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

  private static final int LIMIT = 1024 * 1024; // the default payload limit

  @Test
  void atFilesAreNotExpanded(@TempDir Path dir) throws Exception {
    Cli.Result r = cli.run("enqueue", "--queue", "q", "--payload", "@/etc/passwd");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("baton: payload is not valid JSON: ").doesNotContain("root:");

    Path args = dir.resolve("args");
    Files.writeString(args, "--version\n");
    Cli.Result injected = Cli.runRaw("@" + args);
    assertThat(injected.exitCode()).as(injected.out()).isEqualTo(2);
    assertThat(injected.out()).doesNotContain("baton ");
    assertThat(injected.err()).contains("@" + args);
  }

  @Test
  void aLineOverThePayloadLimitNamesItsLineAndNothingIsEnqueued(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("big.jsonl");
    Files.writeString(file, "{\"i\":1}\n\"" + "a".repeat(LIMIT) + "\"\n{\"i\":3}\n");

    Cli.Result r = cli.run("enqueue", "--queue", "bulk", "--file", file.toString());

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).isEqualTo("baton: line 2 of " + file + " is over the payload limit of " + LIMIT
        + " bytes\n");
    assertThat(redis.client().inspector().agentTypes()).isEmpty();
  }

  @Test
  void anEndlessLineOnStdinStopsAtTheLimitWithoutReadingTheRest() {
    java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
    java.io.InputStream zeros = new java.io.InputStream() { // like /dev/zero: never ends, no newline
      @Override
      public int read() {
        read.incrementAndGet();
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        java.util.Arrays.fill(b, off, off + len, (byte) 0);
        read.addAndGet(len);
        return len;
      }
    };

    Cli.Result r = cli.runWithStdin(zeros, "enqueue", "--queue", "zeros", "--file", "-");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("baton: line 1 of stdin is over the payload limit of " + LIMIT + " bytes");
    assertThat(r.err().lines()).hasSize(1);
    assertThat(read.get()).as("bytes read").isLessThanOrEqualTo(LIMIT + 5 + 64 * 1024);
    assertThat(redis.client().inspector().agentTypes()).isEmpty();
  }

  @Test
  void aStreamIsEnqueuedInBatchesAndAnInvalidLineSaysWhereToResume() {
    Cli.Result r = cli.runWithStdin("{\"i\":1}\n{\"i\":2}\n{\"i\":3}\n{oops\n{\"i\":5}\n",
        "enqueue", "--queue", "stream", "--file", "-", "--batch-size", "2", "--id-prefix", "s");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.lines()).containsExactly("s-1", "s-2");
    assertThat(r.err()).startsWith("baton: line 4 is not valid JSON: ")
        .contains("; 2 task(s) of lines up to 2 were enqueued (their ids are printed); fix it and resume with "
            + "--from-line 3 and the same --id-prefix");
    assertThat(redis.client().inspector().stats("stream").queued()).isEqualTo(2);

    Cli.Result resumed = cli.runWithStdin("{\"i\":1}\n{\"i\":2}\n{\"i\":3}\n{\"i\":4}\n",
        "enqueue", "--queue", "stream", "--file", "-", "--id-prefix", "s", "--from-line", "3");
    assertThat(resumed.exitCode()).as(resumed.err()).isZero();
    assertThat(resumed.lines()).containsExactly("s-3", "s-4");
    assertThat(redis.client().inspector().task("s-4").payloadJson()).isEqualTo("{\"i\":4}");
  }

  @Test
  void anIdPrefixMakesARerunCreateNothingTwice(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tasks.jsonl");
    Files.writeString(file, "{\"i\":1}\n\n{\"i\":3}\n");

    Cli.Result first = cli.run("enqueue", "--queue", "idem", "--file", file.toString(), "--id-prefix", "run7");
    Cli.Result again = cli.run("enqueue", "--queue", "idem", "--file", file.toString(), "--id-prefix", "run7");

    assertThat(first.exitCode()).as(first.err()).isZero();
    assertThat(first.lines()).containsExactly("run7-1", "run7-3");
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.lines()).containsExactly("run7-1", "run7-3");
    assertThat(again.err()).contains("task run7-1 already exists").contains("task run7-3 already exists");
    assertThat(redis.client().inspector().stats("idem").enqueued()).isEqualTo(2);
    assertThat(redis.client().inspector().task("run7-3").payloadJson()).isEqualTo("{\"i\":3}");
  }

  @Test
  void reservedIdsDirectoriesAndInvalidUtf8AreUsageErrors(@TempDir Path dir) throws Exception {
    assertThat(cli.run("enqueue", "--queue", "q", "--payload", "{}", "--id", "entry-1795874815678-0"))
        .satisfies(r -> {
          assertThat(r.exitCode()).isEqualTo(2);
          assertThat(r.err()).startsWith("baton: id: must not start with 'entry-'");
        });
    Path file = dir.resolve("ok.jsonl");
    Files.writeString(file, "{}\n");
    assertThat(cli.run("enqueue", "--queue", "q", "--file", file.toString(), "--id-prefix", "entry"))
        .satisfies(r -> {
          assertThat(r.exitCode()).isEqualTo(2);
          assertThat(r.err()).startsWith("baton: --id-prefix: id: must not start with 'entry-'");
        });
    assertThat(cli.run("enqueue", "--queue", "q", "--file", dir.toString()))
        .satisfies(r -> {
          assertThat(r.exitCode()).isEqualTo(2);
          assertThat(r.err()).isEqualTo("baton: --file " + dir + " is a directory, not a file\n");
        });
    Path latin1 = dir.resolve("latin1.jsonl");
    Files.write(latin1, new byte[] {'{', '}', '\n', '"', 'c', 'a', 'f', (byte) 0xe9, '"', '\n'});
    assertThat(cli.run("enqueue", "--queue", "q", "--file", latin1.toString()))
        .satisfies(r -> {
          assertThat(r.exitCode()).isEqualTo(2);
          assertThat(r.err()).isEqualTo("baton: line 2 of " + latin1
              + " is not UTF-8 text (invalid byte at offset 4 of the line)\n");
        });
    assertThat(redis.client().inspector().agentTypes()).isEmpty();
  }

  @Test
  void jsonNestingDepthAndNumberLengthHaveTheDocumentedLimits() {
    assertThat(cli.run("enqueue", "--queue", "deep", "--payload", "[".repeat(500) + "]".repeat(500)).exitCode())
        .isZero();
    Cli.Result tooDeep = cli.run("enqueue", "--queue", "deep", "--payload", "[".repeat(501) + "]".repeat(501));
    assertThat(tooDeep.exitCode()).isEqualTo(2);
    assertThat(tooDeep.err()).startsWith("baton: payload is not valid JSON: ").contains("501").contains("500");

    assertThat(cli.run("enqueue", "--queue", "deep", "--payload", "9".repeat(1000)).exitCode()).isZero();
    Cli.Result tooLong = cli.run("enqueue", "--queue", "deep", "--payload", "9".repeat(1001));
    assertThat(tooLong.exitCode()).isEqualTo(2);
    assertThat(tooLong.err()).startsWith("baton: payload is not valid JSON: ").contains("1001").contains("1000");
  }

  @Test
  void aBulkEnqueueCutOffByRedisSaysHowManyWereEnqueuedAndWhereToResume() {
    // one line per read; Redis dies when the third line is read, after the first batch (lines 1-2) was enqueued
    java.io.InputStream stdin = new java.io.InputStream() {
      private final List<String> lines = List.of("{\"i\":1}\n", "{\"i\":2}\n", "{\"i\":3}\n");
      private int next;

      @Override
      public int read() {
        throw new UnsupportedOperationException("read by blocks");
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (next == lines.size()) {
          return -1;
        }
        if (next == 2) {
          redis.server().kill();
        }
        byte[] line = lines.get(next++).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.arraycopy(line, 0, b, off, line.length);
        return line.length;
      }
    };

    Cli.Result r = cli.runWithStdin(stdin, "enqueue", "--queue", "cut", "--file", "-", "--batch-size", "2",
        "--id-prefix", "c");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.REDIS_UNREACHABLE);
    assertThat(r.lines()).containsExactly("c-1", "c-2");
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("baton: enqueue stopped at line 3: ")
        .contains("; 2 task(s) of lines up to 2 were enqueued (their ids are printed); resume with --from-line 3 "
            + "and the same --id-prefix (a re-run enqueues nothing twice)");
  }
}
