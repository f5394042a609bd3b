package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisProbeTest {
  private static final String CPU = """
      # CPU\r
      used_cpu_sys:1.250000\r
      used_cpu_user:2.500000\r
      used_cpu_sys_children:0.000000\r
      used_cpu_sys_main_thread:1.200000\r
      """;

  private static final String COMMANDSTATS = """
      # Commandstats
      cmdstat_evalsha:calls=200,usec=4000,usec_per_call=20.00,rejected_calls=0,failed_calls=0
      cmdstat_XADD:calls=100,usec=300,usec_per_call=3.00,rejected_calls=0,failed_calls=0
      cmdstat_client|id:calls=3,usec=1,usec_per_call=0.33,rejected_calls=0,failed_calls=0
      cmdstat_info:calls=7,usec=70,usec_per_call=10.00,rejected_calls=0,failed_calls=0
      """;

  @Test
  void parsesInfoSkippingHeadersAndBlankLines() {
    Map<String, String> info = RedisProbe.parseInfo(CPU);
    assertThat(info).containsEntry("used_cpu_sys", "1.250000").doesNotContainKey("# CPU").hasSize(4);
  }

  @Test
  void cpuIsUserPlusSystemOfTheWholeProcess() {
    assertThat(RedisProbe.cpuSeconds(RedisProbe.parseInfo(CPU))).isCloseTo(3.75, within(1e-9));
  }

  @Test
  void commandCallsAreLowerCasedWithSubcommands() {
    Map<String, Long> calls = RedisProbe.commandCalls(RedisProbe.parseInfo(COMMANDSTATS));
    assertThat(calls).containsEntry("evalsha", 200L).containsEntry("xadd", 100L).containsEntry("client|id", 3L)
        .containsEntry("info", 7L);
  }

  @Test
  void commandMicrosComeFromUsec() {
    Map<String, Long> micros = RedisProbe.commandMicros(RedisProbe.parseInfo(COMMANDSTATS));
    assertThat(micros).containsEntry("evalsha", 4000L).containsEntry("xadd", 300L).containsEntry("client|id", 1L);
  }

  @Test
  void aDeltaLeavesOutTheProbesOwnCommandsAndUnchangedOnes() {
    RedisProbe.Snapshot before = new RedisProbe.Snapshot(1.0, Map.of("evalsha", 10L, "info", 2L, "get", 5L),
        Map.of("evalsha", 100L, "info", 20L, "get", 7L));
    RedisProbe.Snapshot after = new RedisProbe.Snapshot(1.5, Map.of("evalsha", 40L, "info", 4L, "get", 5L, "xadd", 3L),
        Map.of("evalsha", 700L, "info", 45L, "get", 7L, "xadd", 9L));
    RedisProbe.Delta d = after.since(before);
    assertThat(d.cpuSeconds()).isCloseTo(0.5, within(1e-9));
    assertThat(d.calls()).containsOnly(Map.entry("evalsha", 30L), Map.entry("xadd", 3L));
    assertThat(d.micros()).containsOnly(Map.entry("evalsha", 600L), Map.entry("xadd", 9L));
    assertThat(d.totalCalls()).isEqualTo(33);
  }
}
