package dev.baton;

import dev.baton.internal.limits.LimitNames;
import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.RateLimit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LimitConfigTest {
  @Test
  void rateLimitsAreValidated() {
    assertThat(RateLimit.unitsPerMinute(30_000)).isEqualTo(new RateLimit(30_000, Duration.ofMinutes(1)));
    assertThat(RateLimit.requests(10, Duration.ofSeconds(1)).budget()).isEqualTo(10);
    assertThatThrownBy(() -> RateLimit.units(0, Duration.ofSeconds(1))).hasMessageContaining("got 0");
    assertThatThrownBy(() -> RateLimit.units(RateLimit.MAX_BUDGET + 1, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RateLimit.units(1, Duration.ofMillis(999))).hasMessageContaining("PT0.999S");
    assertThatThrownBy(() -> RateLimit.units(1, Duration.ofDays(2))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RateLimit.units(1, Duration.ofNanos(1_000_000_001L)))
        .hasMessageContaining("whole milliseconds");
  }

  @Test
  void concurrencyLimitsAreValidated() {
    ConcurrencyLimit c = ConcurrencyLimit.of(4);
    assertThat(c.lease()).isEqualTo(ConcurrencyLimit.DEFAULT_LEASE);
    assertThat(c.retryInterval()).isEqualTo(ConcurrencyLimit.DEFAULT_RETRY_INTERVAL);
    assertThat(c.withLease(Duration.ofSeconds(5)).lease()).isEqualTo(Duration.ofSeconds(5));
    assertThatThrownBy(() -> ConcurrencyLimit.of(0)).hasMessageContaining("got 0");
    assertThatThrownBy(() -> ConcurrencyLimit.of(ConcurrencyLimit.MAX_PERMITS + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> c.withLease(Duration.ofMillis(999))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> c.withRetryInterval(Duration.ofMillis(9))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> c.withLease(Duration.ofSeconds(1)).withRetryInterval(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everyKeyOfOneLimitIsInOneClusterSlot() {
    dev.baton.internal.broker.Keys k = new dev.baton.internal.broker.Keys("baton");
    for (String name : java.util.List.of("llm:gpt-4o", "search-api", "a/b@c")) {
      int slot = io.lettuce.core.cluster.SlotHash.getSlot(k.rateKeys(name));
      for (String key : java.util.List.of("default", "tenant:42", "x|y", "[]()")) {
        assertThat(java.util.List.of(k.rateLog(name, key), k.rateSum(name, key), k.permits(name, key),
                k.permitKeys(name), k.limitConfig(name)))
            .allSatisfy(key2 -> assertThat(io.lettuce.core.cluster.SlotHash.getSlot(key2)).isEqualTo(slot));
      }
    }
  }

  @Test
  void namesAndKeysAreBoundedAndCannotHoldBraces() {
    assertThat(LimitNames.name("llm:gpt-4o")).isEqualTo("llm:gpt-4o");
    assertThat(LimitNames.key("tenant:42/eu@x")).isEqualTo("tenant:42/eu@x");
    assertThatThrownBy(() -> LimitNames.name("a{b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LimitNames.name("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LimitNames.name("n".repeat(101))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LimitNames.key("a}b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LimitNames.key("é")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LimitNames.key("line\nbreak")).hasMessageContaining("line?break");
  }
}
