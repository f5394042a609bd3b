package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.TaskInfo;
import dev.baton.testing.RedisExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

class DemoIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private record Run(int exitCode, String out, String err, Duration took) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  private static Run run(DemoCommand command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(command);
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    long t0 = System.nanoTime();
    int code = cmd.execute(args);
    Run r = new Run(code, out.toString(), err.toString(), Duration.ofNanos(System.nanoTime() - t0));
    System.out.println(r.out);
    System.out.println(r.err);
    return r;
  }

  @Test
  void runsThePipelineOnItsOwnPrivateRedis() {
    assumeTrue(System.getenv("REDIS_URL") == null, "REDIS_URL is set: the demo would use it");
    Run r = run(new DemoCommand(), "--timeout", "45s");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("private redis-server");
    assertThat(r.out()).contains("Final answer:").contains("Q: " + DemoCommand.DEFAULT_QUESTION)
        .contains("A: ").contains("Not covered: " + FlakyFactsService.POISONED_TOPIC);
    assertThat(r.lines()).anyMatch(l -> l.matches(".*researcher +topic=\\S+ +attempt \\d/4 failed: .* -> retry.*"));
    // the default seed shows every kind of failure on healthy topics, which then recover
    assertThat(r.out()).contains("failed: HTTP 503").contains("failed: HTTP 429").contains("failed: task timed out");
    List<String> deadLines = r.lines().stream().filter(l -> l.contains(" dead: ")).toList();
    assertThat(deadLines).hasSize(1);
    assertThat(deadLines.get(0)).matches(" *researcher task plan-[0-9a-f]{8}\\.research\\." + FlakyFactsService.POISONED_TOPIC
        + " dead: attempts exhausted \\(4/4\\): .*HTTP 500.*");
    // the outage at the start: the breaker opens, researchers wait parked with no attempt used, it closes
    assertThat(r.out()).contains("breaker facts-service: closed -> open (failure rate")
        .contains("breaker facts-service: open -> half_open").contains("breaker facts-service: half_open -> closed");
    assertThat(r.lines()).anyMatch(l -> l.matches(".*researcher +topic=\\S+ +parked: waiting for facts-service "
        + "\\(DependencyUnavailableException: HTTP 529.*attempts used 0/4"));
    assertThat(r.lines()).anyMatch(l -> l.matches(".*released from parking.*"));
    assertThat(r.out()).containsPattern("outage +\\d+ calls answered 529; breaker facts-service opened \\d+ time\\(s\\), "
        + "now closed");
    assertThat(r.out()).contains("OK: ");
    assertThat(r.took()).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void leavesTheDeadLetterInAnExternalRedisForInspection() throws Exception {
    Run r = run(new DemoCommand(), "--redis", redis.uri(), "--seed", "8");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).contains("REDIS_URL=" + redis.uri() + " ./baton dlq list --queue researcher");
    Matcher m = Pattern.compile("key prefix (demo-[0-9a-f]{8})").matcher(r.out());
    assertThat(m.find()).isTrue();
    try (BatonClient client = BatonClient.connect(BatonConfig.builder().redisUri(redis.uri()).keyPrefix(m.group(1)).build())) {
      List<TaskInfo> dead = client.inspector().deadLetters("researcher", 0, 10);
      assertThat(dead).hasSize(1);
      assertThat(dead.get(0).id()).endsWith(".research." + FlakyFactsService.POISONED_TOPIC);
      assertThat(dead.get(0).history()).hasSize(4);
    }
  }

  @Test
  void exitsWith3AndSaysHowToGetRedisWhenThereIsNone() {
    assumeTrue(System.getenv("REDIS_URL") == null, "REDIS_URL is set: the demo would use it");
    DemoCommand command = new DemoCommand();
    command.redisSearchPath = List.of();
    Run r = run(command);
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines().toList()).hasSize(1);
    assertThat(r.err()).contains("apt-get install redis-server").contains("REDIS_URL");
  }
}
