package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetryPolicyTest {
  private static final RetryPolicy P = RetryPolicy.exponential(Duration.ofMillis(100), 2.0, Duration.ofSeconds(1));

  @Test
  void ceilingsGrowByTheMultiplierUpToTheCap() {
    assertThat(new long[] {P.ceilingMillis(1), P.ceilingMillis(2), P.ceilingMillis(3), P.ceilingMillis(4),
        P.ceilingMillis(5), P.ceilingMillis(6)})
        .containsExactly(100, 200, 400, 800, 1000, 1000);
    assertThat(P.ceilingMillis(1000)).isEqualTo(1000); // 2^999 overflows nothing
    assertThat(RetryPolicy.exponential(Duration.ofMillis(50), 1.0, Duration.ofMillis(50)).ceilingMillis(7)).isEqualTo(50);
    assertThat(RetryPolicy.exponential(Duration.ofMillis(1), Double.MAX_VALUE, Duration.ofHours(1)).ceilingMillis(3))
        .isEqualTo(Duration.ofHours(1).toMillis());
  }

  @Test
  void defaultsAreOneSecondDoublingUpToTenMinutes() {
    assertThat(RetryPolicy.DEFAULT.ceilingMillis(1)).isEqualTo(1000);
    assertThat(RetryPolicy.DEFAULT.ceilingMillis(4)).isEqualTo(8000);
    assertThat(RetryPolicy.DEFAULT.ceilingMillis(30)).isEqualTo(Duration.ofMinutes(10).toMillis());
  }

  @Test
  void fullJitterStaysWithinZeroAndTheCeiling() {
    assertThat(P.delayFor(3, () -> 0.0)).isZero();
    assertThat(P.delayFor(3, () -> Math.nextDown(1.0))).isEqualTo(Duration.ofMillis(400));
    assertThat(P.delayFor(3, () -> 0.5)).isEqualTo(Duration.ofMillis(200));
    assertThat(P.delayFor(1, () -> 0.999)).isEqualTo(Duration.ofMillis(100));
    SplittableRandom random = new SplittableRandom(42);
    long min = Long.MAX_VALUE, max = 0;
    for (int i = 0; i < 10_000; i++) {
      long d = P.delayFor(6, random::nextDouble).toMillis();
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    assertThat(min).isGreaterThanOrEqualTo(0).isLessThan(20);
    assertThat(max).isLessThanOrEqualTo(1000).isGreaterThan(980);
  }

  @Test
  void retriesAreOneBased() {
    assertThatThrownBy(() -> P.ceilingMillis(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> P.delayFor(-1, () -> 0.5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void wireFormRoundTrips() {
    assertThat(P.toWire()).isEqualTo("100,2.0,1000");
    assertThat(RetryPolicy.fromWire(P.toWire())).isEqualTo(P);
    RetryPolicy odd = RetryPolicy.exponential(Duration.ofMillis(7), 1.37, Duration.ofDays(3));
    assertThat(RetryPolicy.fromWire(odd.toWire())).isEqualTo(odd);
    assertThat(RetryPolicy.fromWire(RetryPolicy.DEFAULT.toWire())).isEqualTo(RetryPolicy.DEFAULT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "100", "100,2.0", "100,2.0,1000,1", "a,2.0,1000", "100,x,1000", "100,2.0,",
      "0,2.0,1000", "100,0.5,1000", "100,NaN,1000", "100,Infinity,1000", "1000,2.0,100", "-5,2.0,100"})
  void malformedWireFormsAreRejected(String wire) {
    assertThatThrownBy(() -> RetryPolicy.fromWire(wire)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void invalidPoliciesAreRejectedQuotingTheValue() {
    assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ZERO, 2.0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base").hasMessageContaining("PT0S");
    assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ofNanos(999_999), 2.0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base");
    assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ofMillis(-1), 2.0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    for (double m : new double[] {0.99, 0, -2, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ofMillis(1), m, Duration.ofSeconds(1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiplier");
    }
    assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ofSeconds(2), 2.0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cap");
    assertThatThrownBy(() -> RetryPolicy.exponential(null, 2.0, Duration.ofSeconds(1))).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> RetryPolicy.exponential(Duration.ofMillis(1), 2.0, null)).isInstanceOf(NullPointerException.class);
  }
}
