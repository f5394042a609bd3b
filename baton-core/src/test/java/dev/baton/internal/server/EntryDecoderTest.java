package dev.baton.internal.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.HandlerOptions;
import dev.baton.TaskRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How layout 2's deliveries become tasks without a script (docs/hot-path-v2.md). */
class EntryDecoderTest {
  private final EntryDecoder decoder = new EntryDecoder("q", HandlerOptions.DEFAULT);
  private final Instant now = Instant.ofEpochMilli(1_795_874_815_747L);

  @Test
  void aFirstDeliveryHoldsItsEntryIdAsTokenAndRunsAttemptOneWithTheDefaults() {
    StartedTask t = decoder.entry("1-0", Map.of("t", "a", "p", "{}"), now);

    assertThat(t.deliveryToken()).isEqualTo("1-0");
    assertThat(t.attempt()).isEqualTo(1);
    assertThat(t.maxAttempts()).isEqualTo(TaskRequest.DEFAULT_MAX_ATTEMPTS);
    assertThat(t.timeoutMillis()).isEqualTo(HandlerOptions.DEFAULT.timeout().toMillis());
    assertThat(t.payloadJson()).isEqualTo("{}");
  }

  @Test
  void aRedeliveredEntryCarriesItsCountsAndItsTokenIsBuiltFromThem() {
    StartedTask t = decoder.entry("7-1", Map.of("t", "a", "p", "{}", "a", "3,2,1,0",
        "o", "{\"max\":5,\"to\":60000,\"h\":{\"k\":\"v\"},\"bo\":\"100,2.0,1000\"}"), now);

    assertThat(t.deliveryToken()).isEqualTo("q3,2,1,0,7-1");
    assertThat(t.attempt()).isEqualTo(3);
    assertThat(t.maxAttempts()).isEqualTo(5);
    assertThat(t.timeoutMillis()).isEqualTo(60_000);
    assertThat(t.headers()).isEqualTo(Map.of("k", "v"));
    assertThat(t.retryOverride()).isNotNull();
  }

  @Test
  void anEntryWithoutAValidIdIsNotATask() {
    assertThat(decoder.entry("1-0", Map.of("p", "{}"), now)).isNull();
    assertThat(decoder.entry("1-0", Map.of("t", "bad id", "p", "{}"), now)).isNull();
  }

  @Test
  void unreadableOptionsOrAMissingPayloadMakeAMalformedDeliveryWithTheReason() {
    assertThatThrownBy(() -> decoder.entry("1-0", Map.of("t", "a"), now)).isInstanceOf(EntryDecoder.Malformed.class)
        .hasMessage("malformed task: no payload");
    assertThatThrownBy(() -> decoder.entry("1-0", Map.of("t", "a", "p", "{}", "o", "{\"max\":0}"), now))
        .isInstanceOf(EntryDecoder.Malformed.class).hasMessageContaining("max");
    assertThatThrownBy(() -> decoder.entry("1-0", Map.of("t", "a", "p", "{}", "o", "[1]"), now))
        .isInstanceOf(EntryDecoder.Malformed.class).hasMessageContaining("not a JSON object");
  }

  @Test
  void theIdCheckAgreesWithTheIdPattern() {
    for (String s : List.of("a", "A-z_0.9:x", "x".repeat(128), "", "x".repeat(129), "a b", "a|b", "é", "a/b", "{q}")) {
      assertThat(EntryDecoder.isId(s)).as(s).isEqualTo(TaskRequest.ID.matcher(s).matches());
    }
  }
}
