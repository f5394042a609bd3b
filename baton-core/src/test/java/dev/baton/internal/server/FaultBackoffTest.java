package dev.baton.internal.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class FaultBackoffTest {
  @Test
  void backOffDoublesPerFaultInARowUpToTheCap() {
    assertThat(IntStream.rangeClosed(1, 8).mapToObj(FaultBackoff::delay)).containsExactly(
        Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(8),
        Duration.ofSeconds(16), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30));
    assertThat(FaultBackoff.delay(10_000)).isEqualTo(Duration.ofSeconds(30));
  }
}
