package dev.baton.internal.breaker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerState;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The in-process breaker, on a clock the test drives. */
class LocalBreakerTest {
  private final AtomicLong millis = new AtomicLong(1_000_000);
  private final InstantSource clock = () -> Instant.ofEpochMilli(millis.get());
  private final BreakerConfig config = BreakerConfig.builder().countWindow(4).minimumCalls(4)
      .waitInOpen(Duration.ofSeconds(5)).permittedProbes(2).build();
  private final LocalBreaker breaker = new LocalBreaker(config, clock);

  private void call(boolean failed) {
    LocalBreaker.Permit p = breaker.acquire();
    assertThat(p.allowed()).isTrue();
    breaker.record(p, true, failed, false);
  }

  @Test
  void opensWaitsProbesAndCloses() {
    call(false);
    call(true);
    call(false);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
    call(true);
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    assertThat(breaker.acquire().allowed()).isFalse();
    assertThat(breaker.openRemainingMillis()).isEqualTo(5_000);

    millis.addAndGet(5_000);
    LocalBreaker.Permit p1 = breaker.acquire();
    LocalBreaker.Permit p2 = breaker.acquire();
    assertThat(p1.probe()).isTrue();
    assertThat(p2.probe()).isTrue();
    assertThat(breaker.state()).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(breaker.acquire().allowed()).isFalse(); // both probes taken
    breaker.record(p1, true, false, false);
    breaker.record(p2, true, false, false);
    assertThat(breaker.state()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void aFailedProbeReopensAndALateOutcomeIsIgnored() {
    for (int i = 0; i < 4; i++) {
      call(true);
    }
    millis.addAndGet(5_000);
    LocalBreaker.Permit p1 = breaker.acquire();
    LocalBreaker.Permit p2 = breaker.acquire();
    breaker.record(p1, true, true, false);
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
    breaker.record(p2, true, false, false); // granted under the half-open gen: stale now
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void shadowedOutcomesTripItToo() {
    for (int i = 0; i < 4; i++) {
      breaker.shadow(true, false);
    }
    assertThat(breaker.state()).isEqualTo(BreakerState.OPEN);
  }

  @Test
  void theConfigRejectsValuesOutOfRangeAndSecondSets() {
    assertThatThrownBy(() -> BreakerConfig.builder().failureRateThreshold(0).build())
        .hasMessageContaining("failureRateThreshold must be in (0, 100], got 0.0");
    assertThatThrownBy(() -> BreakerConfig.builder().countWindow(5).timeWindow(5))
        .hasMessageContaining("window set twice");
    assertThatThrownBy(() -> BreakerConfig.builder().permittedProbes(0).build())
        .hasMessageContaining("permittedProbes");
    BreakerConfig d = BreakerConfig.DEFAULT;
    assertThat(d.windowType()).isEqualTo(BreakerConfig.WindowType.COUNT);
    assertThat(d.windowSize()).isEqualTo(100);
    assertThat(d.minimumCalls()).isEqualTo(20);
    assertThat(d.waitInOpen()).isEqualTo(Duration.ofSeconds(30));
    assertThat(BreakerConfig.builder().timeWindow(60).build().windowSize()).isEqualTo(60);
  }

  @Test
  void onlyTheFourLegalTransitionsExist() {
    int legal = 0;
    for (BreakerState from : BreakerState.values()) {
      for (BreakerState to : BreakerState.values()) {
        legal += from.canTransitionTo(to) ? 1 : 0;
      }
    }
    assertThat(legal).isEqualTo(4);
    assertThat(BreakerState.OPEN.canTransitionTo(BreakerState.CLOSED)).isFalse();
    assertThat(BreakerState.CLOSED.canTransitionTo(BreakerState.HALF_OPEN)).isFalse();
  }
}
