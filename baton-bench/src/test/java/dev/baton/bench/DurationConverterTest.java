package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {
  private final DurationConverter c = new DurationConverter();

  @Test
  void acceptsUnitsAndIso() {
    assertThat(c.convert("1500ms")).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.convert("20s")).isEqualTo(Duration.ofSeconds(20));
    assertThat(c.convert("2.5s")).isEqualTo(Duration.ofMillis(2500));
    assertThat(c.convert("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.convert("PT30S")).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.convert("45")).isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void rejectsOtherText() {
    assertThatThrownBy(() -> c.convert("soon")).isInstanceOf(TypeConversionException.class).hasMessageContaining("soon");
  }
}
