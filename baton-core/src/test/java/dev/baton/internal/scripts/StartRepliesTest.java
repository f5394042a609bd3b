package dev.baton.internal.scripts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Decoding start.lua's reply, which TaskScripts alone knows. */
class StartRepliesTest {
  /** start.lua's positional reply: st eid id att max dlv own q p to h bo p2..p8 (null where absent). */
  private static List<Object> started(String p, String... pieces) {
    List<Object> v = new ArrayList<>(Arrays.asList("running", "1-0", "t1", "1", "3", "2", "w1", "agent", p, "0",
        null, null));
    for (int k = 0; k < 7; k++) {
      v.add(k < pieces.length ? pieces[k] : null);
    }
    return v;
  }

  private static TaskScripts.StartReplies reply(Object... entries) {
    return new TaskScripts.StartReplies(List.of(entries));
  }

  @Test
  void aStartedRecordNamesTheValuesByPositionAndLeavesOutAbsentOnes() {
    TaskScripts.StartReplies r = reply(List.of(1L, started("{\"a\":1}")));
    assertThat(r.status(0)).isEqualTo(ScriptStatus.OK);
    Map<String, String> f = r.record(0);
    assertThat(f).containsOnly(Map.entry("st", "running"), Map.entry("eid", "1-0"), Map.entry("id", "t1"),
        Map.entry("att", "1"), Map.entry("max", "3"), Map.entry("dlv", "2"), Map.entry("own", "w1"),
        Map.entry("q", "agent"), Map.entry("p", "{\"a\":1}"), Map.entry("to", "0"));
  }

  @Test
  void aPayloadInPiecesIsJoinedInOrderIntoP() {
    Map<String, String> f = reply(List.of(1L, started("{\"text\":\"", "héllo ", "wörld", "\"}"))).record(0);
    assertThat(f.get("p")).isEqualTo("{\"text\":\"héllo wörld\"}");
    assertThat(f).doesNotContainKeys("p2", "p3", "p4");
  }

  @Test
  void aRecordWithoutPayloadHasNoP() {
    assertThat(reply(List.of(1L, started(null))).record(0)).doesNotContainKey("p").containsEntry("id", "t1");
  }

  @Test
  void skippedAndDeadLetteredEntriesCarryTheirReasonAndAnUndeclaredCodeIsAnError() {
    TaskScripts.StartReplies r = reply(List.of(0L, "not runnable: state cancelled"), List.of(-1L, "attempts exhausted"),
        List.of(-2L));
    assertThat(r.size()).isEqualTo(3);
    assertThat(r.status(0)).isEqualTo(ScriptStatus.SKIPPED);
    assertThat(r.reason(0)).isEqualTo("not runnable: state cancelled");
    assertThat(r.status(1)).isEqualTo(ScriptStatus.DEAD_LETTERED);
    assertThat(r.reason(1)).isEqualTo("attempts exhausted");
    assertThatThrownBy(() -> r.status(2)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("start.lua returned status -2");
  }
}
