package dev.baton.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class SettableClockTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void startsWhereToldAndMovesOnlyWhenTold() {
    SettableClock clock = new SettableClock(T0);
    assertThat(clock.instant()).isEqualTo(T0);
    assertThat(clock.millis()).isEqualTo(T0.toEpochMilli());
    clock.advance(Duration.ofMillis(1500));
    assertThat(clock.instant()).isEqualTo(T0.plusMillis(1500));
    clock.set(T0.minusSeconds(10));
    assertThat(clock.instant()).isEqualTo(T0.minusSeconds(10));
    assertThatThrownBy(() -> clock.advance(Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theDefaultStartIsTheSystemTimeInWholeMilliseconds() {
    long before = System.currentTimeMillis();
    Instant start = new SettableClock().instant();
    assertThat(start.toEpochMilli()).isBetween(before, System.currentTimeMillis());
    assertThat(start.getNano() % 1_000_000).isZero();
  }

  @Test
  void timersFireInDueOrderOnceTheClockPassesThem() {
    SettableClock clock = new SettableClock(T0);
    List<String> fired = new CopyOnWriteArrayList<>();
    clock.schedule(Duration.ofSeconds(3), () -> fired.add("3s"));
    clock.schedule(Duration.ofSeconds(1), () -> fired.add("1s"));
    clock.schedule(Duration.ofSeconds(1), () -> fired.add("1s, second"));
    assertThat(clock.pendingTimers()).isEqualTo(3);
    assertThat(clock.pendingDue()).containsExactly(T0.plusSeconds(1), T0.plusSeconds(1), T0.plusSeconds(3));

    clock.advance(Duration.ofMillis(999));
    assertThat(fired).isEmpty();
    clock.advance(Duration.ofMillis(1));
    assertThat(fired).containsExactly("1s", "1s, second");
    clock.advance(Duration.ofSeconds(5));
    assertThat(fired).containsExactly("1s", "1s, second", "3s");
    assertThat(clock.pendingTimers()).isZero();
  }

  @Test
  void aCancelledTimerNeverFiresAndAFiredOneCannotBeCancelled() {
    SettableClock clock = new SettableClock(T0);
    List<String> fired = new CopyOnWriteArrayList<>();
    SettableClock.Timer a = clock.schedule(Duration.ofSeconds(1), () -> fired.add("a"));
    SettableClock.Timer b = clock.schedule(Duration.ofSeconds(1), () -> fired.add("b"));
    assertThat(a.due()).isEqualTo(T0.plusSeconds(1));
    assertThat(a.cancel()).isTrue();
    assertThat(a.cancel()).isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(fired).containsExactly("b");
    assertThat(b.cancel()).isFalse();
  }

  @Test
  void aTimerDueNowFiresAtOnceAndTimersScheduledByTimersFireInTheSameAdvanceWhenDue() {
    SettableClock clock = new SettableClock(T0);
    List<String> fired = new CopyOnWriteArrayList<>();
    clock.schedule(Duration.ZERO, () -> fired.add("now"));
    assertThat(fired).containsExactly("now");

    clock.schedule(Duration.ofSeconds(1), () -> {
      fired.add("outer");
      clock.schedule(Duration.ofSeconds(1), () -> fired.add("inner, 2s"));
      clock.schedule(Duration.ofSeconds(5), () -> fired.add("inner, 6s"));
    });
    clock.advance(Duration.ofSeconds(3));
    assertThat(fired).containsExactly("now", "outer", "inner, 2s");
    assertThat(clock.pendingDue()).containsExactly(T0.plusSeconds(6));
  }

  @Test
  void eachTimerFiresWithTheClockAtItsDueInstant() {
    SettableClock clock = new SettableClock(T0);
    List<Instant> seen = new CopyOnWriteArrayList<>();
    clock.schedule(Duration.ofMillis(250), () -> seen.add(clock.instant()));
    clock.schedule(Duration.ofMillis(700), () -> seen.add(clock.instant()));
    clock.advance(Duration.ofSeconds(1));
    assertThat(seen).containsExactly(T0.plusMillis(250), T0.plusMillis(700));
    assertThat(clock.instant()).isEqualTo(T0.plusSeconds(1));
  }

  @Test
  void aFailingTimerDoesNotStopTheOthers() {
    SettableClock clock = new SettableClock(T0);
    List<String> fired = new CopyOnWriteArrayList<>();
    clock.schedule(Duration.ofSeconds(1), () -> {
      throw new IllegalStateException("boom");
    });
    clock.schedule(Duration.ofSeconds(2), () -> fired.add("after"));
    clock.advance(Duration.ofSeconds(2));
    assertThat(fired).containsExactly("after");
  }

  @Test
  void settingTheClockBackwardsDelaysTimersUntilItComesBack() {
    SettableClock clock = new SettableClock(T0);
    List<String> fired = new CopyOnWriteArrayList<>();
    clock.schedule(Duration.ofSeconds(1), () -> fired.add("t"));
    clock.set(T0.minusSeconds(5));
    clock.advance(Duration.ofSeconds(5));
    assertThat(fired).isEmpty();
    clock.set(T0.plusSeconds(1));
    assertThat(fired).containsExactly("t");
  }
}
