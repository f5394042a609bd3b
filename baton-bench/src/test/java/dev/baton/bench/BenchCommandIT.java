package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.baton.testing.RedisExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs {@code bench --quick} in-process against a private Redis, the second worker process
 * included, and checks the report is complete and sane, and that the harness leaves no key behind.
 */
class BenchCommandIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private record Run(int exitCode, String out, String err) {}

  private static Run bench(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new BenchCommand());
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int code = cmd.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void quickRunReportsEveryScenarioAndCleansUp(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("report.json");
    Run run = bench("--quick", "--redis", redis.uri(), "--out", json.toString());

    assertThat(run.exitCode()).as("stderr:%n%s%nstdout:%n%s", run.err(), run.out()).isZero();
    for (String name : BenchCommand.DEFAULT_SCENARIOS) {
      assertThat(run.out()).contains(Report.TITLES.get(name));
    }
    assertThat(run.out()).doesNotContain(Report.TITLES.get(ClientsCompared.NAME)); // opt-in
    JsonNode doc = JsonMapper.builder().build().readTree(Files.readString(json));
    assertThat(doc.get("errors").isEmpty()).isTrue();
    assertThat(doc.get("environment").get("redis").get("version").asString()).isNotBlank();
    assertThat(doc.get("environment").get("jdk").get("version").asString()).isNotBlank();
    JsonNode scenarios = doc.get("scenarios");
    assertThat(scenarios.propertyNames()).containsExactlyElementsOf(BenchCommand.DEFAULT_SCENARIOS);

    for (String name : List.of(RawCycle.NAME, EnqueueThroughput.NAME, EndToEnd.NAME, ManyQueues.NAME)) {
      for (JsonNode c : scenarios.get(name)) {
        assertThat(c.get("tasksPerSecond").asDouble()).as("%s: %s", name, c.get("case")).isPositive();
        assertThat(c.get("redisCommandsPerTask").asDouble()).as("%s: %s", name, c.get("case")).isPositive();
        if (!name.equals(RawCycle.NAME)) {
          assertThat(c.get("vsRaw").asDouble()).isPositive();
          assertThat(c.get("vsRawJedisXdel").asDouble()).isPositive();
        }
      }
    }
    JsonNode raw = scenarios.get(RawCycle.NAME);
    assertThat(strings(raw, "cycle")).containsExactly("raw", "raw-xdel", "raw-lettuce-flush",
        "raw-lettuce-flush-xdel", "raw-jedis", RawCycle.JEDIS_XDEL);
    for (JsonNode c : raw) {
      String cycle = c.get("cycle").asString();
      assertThat(c.has("vsRaw")).as(cycle).isEqualTo(!cycle.equals(RawCycle.NAME));
      assertThat(c.has("vsRawJedisXdel")).as(cycle).isEqualTo(!cycle.equals(RawCycle.JEDIS_XDEL));
      // XDEL rows delete what they acknowledge: one more command per batch of 100
      assertThat(c.get("commandsPerTask").has("xdel")).as(cycle).isEqualTo(cycle.endsWith("-xdel"));
    }
    assertThat(scenarios.get(EndToEnd.NAME)).hasSize(8);
    assertThat(scenarios.get(ManyQueues.NAME).get(3).get("vsOneType").asDouble()).isPositive();

    JsonNode latency = scenarios.get(Latency.NAME).get(0);
    assertThat(latency.get("unfinished").asLong()).isZero();
    for (String measure : List.of("enqueueMillis", "startMillis", "finishMillis")) {
      JsonNode p = latency.get(measure);
      assertThat(p.get("count").asLong()).as(measure).isPositive();
      assertThat(p.get("p50").asDouble()).as(measure).isLessThanOrEqualTo(p.get("p95").asDouble());
      assertThat(p.get("p95").asDouble()).as(measure).isLessThanOrEqualTo(p.get("p99").asDouble());
      assertThat(p.get("p99").asDouble()).as(measure).isLessThanOrEqualTo(p.get("max").asDouble());
    }
    assertThat(latency.get("finishMillis").get("p50").asDouble())
        .isGreaterThanOrEqualTo(latency.get("startMillis").get("p50").asDouble());

    JsonNode memory = scenarios.get(MemoryPerTask.NAME).get(0);
    assertThat(memory.get("bytesPerTask").asDouble()).isGreaterThan(Settings.PAYLOAD_BYTES);

    JsonNode scripts = scenarios.get(HotPathScripts.NAME);
    assertThat(scripts).hasSize(4);
    for (JsonNode c : scripts) {
      double script = c.get("scriptMicrosPerTask").asDouble();
      double commands = c.get("commandMicrosPerTask").asDouble();
      assertThat(script).as("%s", c.get("case")).isGreaterThan(commands).isPositive();
      assertThat(commands).as("%s", c.get("case")).isPositive();
      assertThat(c.get("luaMicrosPerTask").asDouble()).isCloseTo(script - commands, within(0.02));
      JsonNode byCommand = c.get("redisMicrosPerTaskByCommand");
      double calls = byCommand.path("evalsha").asDouble(0) + byCommand.path("eval").asDouble(0);
      assertThat(calls).isCloseTo(script, within(0.02));
    }
    assertThat(scripts.get(0).get("commandsPerTask").has("xadd")).isTrue();
    assertThat(scripts.get(1).get("commandsPerTask").has("xreadgroup")).isTrue();
    assertThat(scripts.get(2).get("commandsPerTask").has("pexpire")).isTrue();
    assertThat(scripts.get(3).get("commandsPerTask").get("hget").asDouble()).isCloseTo(1.0, within(0.01));

    assertThat(redis.raw().keys("bench-*")).as("keys left behind").isEmpty();
  }

  @Test
  void clientsScenarioComparesTheClientOptions() {
    Run run = bench("--quick", "--redis", redis.uri(), "--scenarios", "clients", "--json");

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode cases = JsonMapper.builder().build().readTree(run.out()).get("scenarios").get(ClientsCompared.NAME);
    assertThat(strings(cases, "client"))
        .containsExactly("lettuce-async", "lettuce-flush", "lettuce-dispatch", "jedis-virtual-threads",
            "jedis-pipelined");
    for (JsonNode c : cases) {
      assertThat(c.get("tasksPerSecond").asDouble()).as("%s", c.get("case")).isPositive();
      assertThat(c.get("clientCpuMicrosPerTask").asDouble()).as("%s", c.get("case")).isPositive();
      // per task: its HGET in the script and its HSET; per batch of 100: the EVALSHA
      assertThat(c.get("commandsPerTask").get("hget").asDouble()).isCloseTo(1.0, within(0.01));
      assertThat(c.get("commandsPerTask").get("hset").asDouble()).isCloseTo(1.0, within(0.01));
      assertThat(c.get("commandsPerTask").get("evalsha").asDouble()).isCloseTo(0.01, within(0.001));
    }
    assertThat(redis.raw().keys("bench-*")).as("keys left behind").isEmpty();
  }

  @Test
  void layoutPrototypeReportsRedisCostAndMemoryPerTask() {
    Run run = bench("--quick", "--redis", redis.uri(), "--scenarios", "layout-v2", "--json");

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode cases = JsonMapper.builder().build().readTree(run.out()).get("scenarios").get(LayoutV2Prototype.NAME);
    assertThat(cases).hasSize(2);
    JsonNode enqueue = cases.get(0), cycle = cases.get(1);
    // per task: one HEXISTS, EXISTS, XADD and HSET in enqueue; one HGET, HDEL and SET in complete
    for (String command : List.of("hget", "exists", "xadd", "hset")) {
      assertThat(enqueue.get("commandsPerTask").get(command).asDouble()).as(command).isCloseTo(1.0, within(0.01));
    }
    for (String command : List.of("hget", "hdel", "set")) {
      assertThat(cycle.get("commandsPerTask").get(command).asDouble()).as(command).isCloseTo(1.0, within(0.01));
    }
    assertThat(enqueue.get("bytesPerWaitingTask").asDouble()).isPositive();
    assertThat(cycle.get("bytesPerFinishedTask").asDouble()).isPositive();
    assertThat(cycle.get("redisCpuMicrosPerTask").asDouble()).isPositive();
    assertThat(redis.raw().keys("bench-*")).as("keys left behind").isEmpty();
  }

  /** The string field {@code name} of each element of {@code array}, in order. */
  private static List<String> strings(JsonNode array, String name) {
    List<String> out = new ArrayList<>();
    array.forEach(e -> out.add(e.get(name).asString()));
    return out;
  }

  @Test
  void endToEndCasesCanBeChosen() {
    Run run = bench("--quick", "--redis", redis.uri(), "--scenarios", "end-to-end", "--concurrency", "100",
        "--processes", "1", "--json");

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode cases = JsonMapper.builder().build().readTree(run.out()).get("scenarios").get(EndToEnd.NAME);
    assertThat(cases).hasSize(1);
    assertThat(cases.get(0).get("concurrency").asInt()).isEqualTo(100);
    assertThat(cases.get(0).get("workerProcesses").asInt()).isEqualTo(1);
  }

  @Test
  void threeWorkerProcessesIsAUsageError() {
    Run run = bench("--redis", redis.uri(), "--scenarios", "end-to-end", "--processes", "1,3");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--processes values must be 1 or 2");
  }

  @Test
  void jsonOnStdoutParses() {
    Run run = bench("--quick", "--redis", redis.uri(), "--scenarios", "raw", "--json");

    assertThat(run.exitCode()).as(run.err()).isZero();
    JsonNode doc = JsonMapper.builder().build().readTree(run.out());
    assertThat(doc.get("scenarios").get("raw").get(0).get("tasksPerSecond").asDouble()).isPositive();
    assertThat(doc.get("settings").get("quick").asBoolean()).isTrue();
  }

  @Test
  void unknownScenarioIsAUsageError() {
    Run run = bench("--redis", redis.uri(), "--scenarios", "raw,nope");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("unknown scenario 'nope'");
  }
}
