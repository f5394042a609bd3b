package dev.baton;

import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.Dependency;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.DependencyUnavailableException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.breaker.DependencyHandle;
import dev.baton.internal.breaker.DistributedBreaker;
import dev.baton.internal.events.LifecycleEvents;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.SettableClock;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * F30: the breaker's Redis is stopped. The worker's local breaker still counts the failures and
 * trips, and a call through the dependency handle never throws because Redis is unreachable. The
 * breaker runs on a {@link SettableClock}: after Redis failed, the local breaker decides until a
 * second has passed on that clock, also once Redis is back, and only then is Redis asked again.
 */
class BreakerRedisDownIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String DEP = "search-api";

  @Test
  void withRedisStoppedTheLocalBreakerTripsAndCallsNeverFailBecauseOfRedis() throws Exception {
    BreakerConfig config = BreakerConfig.builder().countWindow(10).minimumCalls(5)
        .waitInOpen(Duration.ofSeconds(30)).build();
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().commandTimeout(Duration.ofSeconds(2)).build()));
    SettableClock clock = new SettableClock();
    Dependency dep = new DependencyHandle(new DistributedBreaker(DependencyConfig.of(DEP, config), broker, clock));
    assertThat((String) dep.call(() -> "up")).isEqualTo("up"); // Redis decides

    redis.server().kill();

    // successful calls go through: no RedisUnavailableException from the breaker
    for (int i = 0; i < 3; i++) {
      assertThat((String) dep.call(() -> "still works")).isEqualTo("still works");
    }
    // the dependency fails: each failure is the dependency's, never Redis's
    AtomicInteger reached = new AtomicInteger();
    for (int i = 0; i < 4; i++) {
      assertThat(dep.state()).isEqualTo(BreakerState.CLOSED);
      assertThatThrownBy(() -> dep.call(() -> {
        reached.incrementAndGet();
        throw new IOException("connection refused");
      })).isInstanceOf(DependencyUnavailableException.class)
          .satisfies(e -> assertThat(((DependencyUnavailableException) e).refusedByBreaker()).isFalse());
    }
    // 4 successes then 4 failures: 50 % >= 50 % with at least 5 calls, the local breaker is open
    assertThat(dep.state()).isEqualTo(BreakerState.OPEN);
    int before = reached.get();
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> dep.call(() -> {
        reached.incrementAndGet();
        return "must not run";
      })).isInstanceOf(DependencyUnavailableException.class)
          .satisfies(e -> assertThat(((DependencyUnavailableException) e).refusedByBreaker()).isTrue())
          .hasMessageContaining("retry in 30000ms"); // the local open period, on the breaker's clock
    }
    assertThat(reached.get()).as("calls reaching the dependency while the local breaker is open").isEqualTo(before);

    // Redis back, but less than a second after the last failure on the breaker's clock: still local
    redis.server().restart();
    assertThatThrownBy(() -> dep.call(() -> "not yet")).isInstanceOf(DependencyUnavailableException.class)
        .satisfies(e -> assertThat(((DependencyUnavailableException) e).refusedByBreaker()).isTrue());
    assertThat(dep.state()).isEqualTo(BreakerState.OPEN);

    // a second on: Redis is asked again, and its breaker (never opened, the outage was local
    // knowledge) decides; while the client is still reconnecting a call decides locally for one more second
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
      clock.advance(Duration.ofSeconds(1));
      return "back".equals(dep.call(() -> "back"));
    });
    assertThat(dep.state()).isEqualTo(BreakerState.CLOSED);
  }
}
