package dev.baton;

import dev.baton.resilience.BreakerState;
import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.Dependency;
import dev.baton.resilience.DependencyConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.breaker.DependencyHandle;
import dev.baton.internal.breaker.DistributedBreaker;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.SettableClock;
import io.lettuce.core.Range;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A call is slow when it lasts the slow-call duration on the worker's clock: calls that move a
 * {@link SettableClock} forward while they run stand for slow dependencies, without waiting for
 * one. The shared (Redis) breaker then opens at the slow-call rate threshold.
 */
class SlowCallIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String DEP = "slow-api";
  private static final Duration SLOW = Duration.ofSeconds(2);

  @Test
  void callsLastingTheSlowCallDurationOnTheWorkersClockOpenTheBreakerAtTheSlowRate() throws Exception {
    BreakerConfig config = BreakerConfig.builder().countWindow(4).minimumCalls(4).failureRateThreshold(100)
        .slowCallRateThreshold(50).slowCallDuration(SLOW).waitInOpen(Duration.ofSeconds(30)).build();
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    SettableClock clock = new SettableClock();
    Dependency dep = new DependencyHandle(new DistributedBreaker(DependencyConfig.of(DEP, config), broker, clock));

    assertThat(dep.call(() -> "fast")).isEqualTo("fast");
    assertThat(dep.call(() -> "fast")).isEqualTo("fast");
    assertThat(dep.call(() -> took(clock, SLOW.minusMillis(1)))).isEqualTo("took 1999 ms"); // not slow
    assertThat(dep.call(() -> took(clock, SLOW))).isEqualTo("took 2000 ms"); // slow: 1 of 4, 25 %
    assertThat(dep.state()).isEqualTo(BreakerState.CLOSED);

    assertThat(dep.call(() -> took(clock, SLOW.plusSeconds(5)))).isEqualTo("took 7000 ms"); // last 4: 2 slow, 50 %
    assertThat(dep.state()).isEqualTo(BreakerState.OPEN);
    String reason = redis.raw().xrange(new Keys(redis.prefix()).breakerEvents(DEP), Range.create("-", "+"))
        .get(0).getBody().get("reason");
    assertThat(reason).startsWith("slow-call rate 50.0%");
  }

  /** A call that lasts {@code d} on the clock. */
  private static String took(SettableClock clock, Duration d) {
    clock.advance(d);
    return "took " + d.toMillis() + " ms";
  }
}
