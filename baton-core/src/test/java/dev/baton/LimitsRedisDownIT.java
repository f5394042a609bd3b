package dev.baton;

import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.RateLimit;
import dev.baton.resilience.RateLimiter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.testing.RedisExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With Redis gone, the limiters fail fast with the typed {@link RedisUnavailableException} (the
 * caller chooses the fallback); creating a handle does not fail, and they work again once Redis is
 * back.
 */
class LimitsRedisDownIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @Test
  void limitersThrowRedisUnavailableWhileRedisIsDownAndRecoverAfter() {
    BatonClient baton = redis.client(redis.config().commandTimeout(Duration.ofMillis(500)).build());
    redis.server().kill();

    RateLimiter tokens = baton.rateLimiter("llm:down", RateLimit.unitsPerMinute(1_000));
    ConcurrencyLimiter calls = baton.concurrencyLimiter("llm:down", ConcurrencyLimit.of(2));

    assertThatThrownBy(() -> tokens.reserve(10)).isInstanceOf(RedisUnavailableException.class);
    assertThatThrownBy(() -> calls.acquire()).isInstanceOf(RedisUnavailableException.class);

    redis.server().restart();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
        .until(() -> tokens.reserve(10).granted());
    assertThat(calls.acquire().granted()).isTrue();
    // the handles registered themselves once Redis was back
    assertThat(baton.inspector().limitNames()).containsExactly("llm:down");
  }

  @Test
  void aLostSumIsRebuiltFromTheLog() {
    BatonClient baton = redis.client();
    RateLimiter tokens = baton.rateLimiter("llm:sum", RateLimit.units(100, Duration.ofMinutes(1)));
    tokens.reserve(60);
    redis.raw().del(new dev.baton.internal.broker.Keys(redis.prefix()).rateSum("llm:sum", "default"));

    assertThat(tokens.reserve(50).granted()).isFalse();
    assertThat(tokens.reserve(40).granted()).isTrue();
  }
}
