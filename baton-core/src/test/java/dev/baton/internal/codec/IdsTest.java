package dev.baton.internal.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.TaskRequest;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class IdsTest {
  private static final Pattern UUID_V7 =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

  @Test
  void formatVersionAndVariant() {
    for (int i = 0; i < 1000; i++) {
      String id = Ids.uuidV7(InstantSource.system());
      assertThat(id).matches(UUID_V7);
      assertThat(TaskRequest.ID.matcher(id).matches()).isTrue();
      UUID parsed = UUID.fromString(id);
      assertThat(parsed.version()).isEqualTo(7);
      assertThat(parsed.variant()).isEqualTo(2); // RFC 9562: bits 10
      assertThat(parsed.toString()).isEqualTo(id);
    }
  }

  @Test
  void theFirst48BitsAreTheClocksMilliseconds() {
    Instant at = Instant.parse("2031-05-06T07:08:09.123Z");
    String id = Ids.uuidV7(InstantSource.fixed(at));
    long ms = Long.parseLong(id.substring(0, 8) + id.substring(9, 13), 16);
    assertThat(ms).isEqualTo(at.toEpochMilli());
    assertThat(Ids.uuidV7(InstantSource.fixed(Instant.EPOCH))).startsWith("00000000-0000-7");
  }

  @Test
  void idsSortByTimeAcrossMilliseconds() {
    long start = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      ids.add(Ids.uuidV7(InstantSource.fixed(Instant.ofEpochMilli(start + i))));
    }
    List<String> sorted = new ArrayList<>(ids);
    sorted.sort(null);
    assertThat(sorted).isEqualTo(ids);
  }

  @Test
  void idsOfTheSameMillisecondDiffer() {
    InstantSource frozen = InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z"));
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      ids.add(Ids.uuidV7(frozen));
    }
    assertThat(ids).hasSize(100_000);
  }
}
