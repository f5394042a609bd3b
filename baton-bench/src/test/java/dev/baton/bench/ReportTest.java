package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ReportTest {
  private static Report sample() {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("machine", Map.of("cpus", 2));
    Report r = new Report(env, new LinkedHashMap<>(Map.of("quick", true)));
    Row raw = new Row(RawCycle.NAME, "raw cycle").put("cycle", RawCycle.NAME);
    Throughput.put(raw, 1000, 10_000_000); // 100,000/s
    r.add(raw);
    Row jedis = new Row(RawCycle.NAME, "jedis cycle").put("cycle", RawCycle.JEDIS_XDEL);
    Throughput.put(jedis, 1000, 4_000_000); // 250,000/s
    r.add(jedis);
    Row enqueue = new Row(EnqueueThroughput.NAME, "enqueue, 1 producer");
    Throughput.put(enqueue, 1000, 50_000_000); // 20,000/s
    new CostMeter.Cost(12.5, 40, 7, Map.of("evalsha", 1.0, "xadd", 1.0),
        Map.of("evalsha", 11.0, "xadd", 0.75), 0.25, 0.8).putInto(enqueue.metrics());
    r.add(enqueue);
    Row latency = new Row(Latency.NAME, "1,000 tasks/s");
    latency.put("startMillis", Map.of("count", 10, "p50", 1.0, "p95", 2.0, "p99", 3.0, "max", 4.0));
    r.add(latency);
    Row client = new Row(ClientsCompared.NAME, "a client").put("client", "a");
    Throughput.put(client, 1000, 5_000_000);
    r.add(client);
    r.error(MemoryPerTask.NAME, "boom");
    r.warn("busy machine");
    return r;
  }

  @Test
  void jsonHasPlainMapsWithTheRatioToTheRawLimit() {
    StringWriter s = new StringWriter();
    sample().printJson(new PrintWriter(s));
    JsonNode doc = JsonMapper.builder().build().readTree(s.toString());
    JsonNode enqueue = doc.get("scenarios").get("enqueue").get(0);
    assertThat(enqueue.get("case").asString()).isEqualTo("enqueue, 1 producer");
    assertThat(enqueue.get("tasksPerSecond").asDouble()).isEqualTo(20_000);
    assertThat(enqueue.get("vsRaw").asDouble()).isEqualTo(0.2);
    assertThat(enqueue.get("vsRawJedisXdel").asDouble()).isEqualTo(0.08);
    assertThat(enqueue.get("commandsPerTask").get("xadd").asDouble()).isEqualTo(1.0);
    assertThat(enqueue.get("redisMicrosPerTaskByCommand").get("xadd").asDouble()).isEqualTo(0.75);
    JsonNode raw = doc.get("scenarios").get("raw");
    assertThat(raw.get(0).has("vsRaw")).isFalse();
    assertThat(raw.get(0).get("vsRawJedisXdel").asDouble()).isEqualTo(0.4);
    assertThat(raw.get(1).get("vsRaw").asDouble()).isEqualTo(2.5);
    assertThat(raw.get(1).has("vsRawJedisXdel")).isFalse();
    JsonNode client = doc.get("scenarios").get("clients").get(0);
    assertThat(client.has("vsRaw")).isFalse();
    assertThat(client.has("vsRawJedisXdel")).isFalse();
    assertThat(doc.get("errors").get("memory").asString()).isEqualTo("boom");
    assertThat(doc.get("warnings").get(0).asString()).isEqualTo("busy machine");
    assertThat(s.toString()).doesNotContain("dev.baton");
  }

  @Test
  void tableHasASectionPerScenarioRatiosAndFailures() {
    StringWriter s = new StringWriter();
    sample().printTable(new PrintWriter(s));
    String table = s.toString();
    assertThat(table).contains(Report.TITLES.get(RawCycle.NAME), Report.TITLES.get(EnqueueThroughput.NAME),
        Report.TITLES.get(Latency.NAME));
    assertThat(table).contains("0.20x").contains("0.08x").contains("VS JEDIS+XDEL").contains("20,000").contains("evalsha 1.00").contains("evalsha 11.0");
    assertThat(table).contains("send -> start").contains("FAILED memory: boom").contains("busy machine");
    assertThat(table).contains("--quick");
  }

  @Test
  void tableAlignsColumns() {
    StringWriter s = new StringWriter();
    new Table("A", "NUMBER").row("long label", 5).row("x", 12345).print(new PrintWriter(s, true), "");
    assertThat(s.toString().lines().toList()).isEqualTo(List.of(
        "A           NUMBER",
        "long label       5",
        "x            12345"));
  }
}
