package dev.baton.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WireFormatTest {
  /** start.lua's positional reply: st eid id att max dlv own q p to h bo p2..p8 (null where absent). */
  private static List<Object> started(String p, String... pieces) {
    List<Object> v = new ArrayList<>(Arrays.asList("running", "1-0", "t1", "1", "3", "2", "w1", "agent", p, "0",
        null, null));
    for (int k = 0; k < 7; k++) {
      v.add(k < pieces.length ? pieces[k] : null);
    }
    return v;
  }

  @Test
  void aStartedRecordNamesTheValuesByPositionAndLeavesOutAbsentOnes() {
    Map<String, String> f = WireFormat.startedRecord(started("{\"a\":1}"));
    assertThat(f).containsOnly(Map.entry("st", "running"), Map.entry("eid", "1-0"), Map.entry("id", "t1"),
        Map.entry("att", "1"), Map.entry("max", "3"), Map.entry("dlv", "2"), Map.entry("own", "w1"),
        Map.entry("q", "agent"), Map.entry("p", "{\"a\":1}"), Map.entry("to", "0"));
  }

  @Test
  void aPayloadInPiecesIsJoinedInOrderIntoP() {
    Map<String, String> f = WireFormat.startedRecord(started("{\"text\":\"", "héllo ", "wörld", "\"}"));
    assertThat(f.get("p")).isEqualTo("{\"text\":\"héllo wörld\"}");
    assertThat(f).doesNotContainKeys("p2", "p3", "p4");
  }

  @Test
  void aRecordWithoutPayloadHasNoP() {
    assertThat(WireFormat.startedRecord(started(null))).doesNotContainKey("p").containsEntry("id", "t1");
  }
}
