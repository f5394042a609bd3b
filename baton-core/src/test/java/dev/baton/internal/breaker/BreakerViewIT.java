package dev.baton.internal.breaker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.DependencyConfig;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.SettableClock;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The breaker state a worker's fetch loop and dispatch read is reused for 100 ms on the worker's
 * clock; a transition this worker saw drops it at once, and a reply read before that transition
 * (another thread's call, answered just before it) cannot bring the old state back.
 */
class BreakerViewIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String DEP = "viewed";

  @Test
  void aViewIsReusedForItsTtlOnTheClockAndNeverReplacedByAReplyOlderThanASeenTransition() {
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    RedisCommands<String, String> raw = redis.raw();
    String breakerKey = new Keys(redis.prefix()).breaker(DEP);
    SettableClock clock = new SettableClock();
    DistributedBreaker b = new DistributedBreaker(DependencyConfig.of(DEP, BreakerConfig.builder().build()), broker,
        clock);

    assertThat(b.view()).isEqualTo(new DistributedBreaker.View(BreakerState.CLOSED, "0", 0));
    // another worker opens it: within the TTL on this worker's clock, the read is reused
    raw.hset(breakerKey, Map.of("st", "open", "gen", "1", "until", Long.toString(redisMillis(raw) + 30_000)));
    assertThat(b.view().state()).isEqualTo(BreakerState.CLOSED);
    clock.advance(Duration.ofMillis(99));
    assertThat(b.view().state()).isEqualTo(BreakerState.CLOSED);
    clock.advance(Duration.ofMillis(1));
    assertThat(b.view().state()).isEqualTo(BreakerState.OPEN);
    assertThat(b.view().gen()).isEqualTo("1");

    // a closed reply of generation 0 arriving now is older than what this worker has seen
    b.remember(new DistributedBreaker.View(BreakerState.CLOSED, "0", 0), 0);
    assertThat(b.view().state()).isEqualTo(BreakerState.OPEN);

    // a transition this worker makes itself drops the reused read at once, clock untouched
    raw.hset(breakerKey, Map.of("st", "closed", "gen", "2"));
    assertThat(b.view().state()).isEqualTo(BreakerState.OPEN);
    b.forget(2);
    assertThat(b.view()).isEqualTo(new DistributedBreaker.View(BreakerState.CLOSED, "2", 0));
    b.remember(new DistributedBreaker.View(BreakerState.OPEN, "1", 5_000), 1);
    assertThat(b.view().state()).isEqualTo(BreakerState.CLOSED);
  }

  private static long redisMillis(RedisCommands<String, String> raw) {
    List<String> t = raw.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }
}
