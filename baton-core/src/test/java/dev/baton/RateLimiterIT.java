package dev.baton;

import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.EstimateTooLargeException;
import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.RateLimit;
import dev.baton.resilience.RateLimiter;
import dev.baton.internal.limits.RedisRateLimiter;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.LimitScripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The rate limiter's scripts against a real Redis, with the server time driven by the test (the
 * scripts' {@code now} override), so windows, retry-afters and refunds are checked to the
 * millisecond without waiting.
 */
class RateLimiterIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String NAME = "llm:test-model";
  private static final long T0 = 1_800_000_000_000L;
  private static final RateLimit LIMIT = RateLimit.units(1000, Duration.ofSeconds(10));

  private final AtomicLong now = new AtomicLong(T0);
  private RedisBroker broker;
  private RateLimiter limiter;
  private RedisCommands<String, String> raw;
  private Keys k;

  @BeforeEach
  void setUp() {
    broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    limiter = new RedisRateLimiter(broker, NAME, LIMIT, InstantSource.system(), now::get);
    raw = redis.raw();
    k = broker.keys();
  }

  @Test
  void grantsWhileTheWindowHasRoomThenRefusesUntilTheOldestUnitsLeaveIt() {
    RateLimiter.Reservation a = limiter.reserve(400);
    now.addAndGet(1000);
    RateLimiter.Reservation b = limiter.reserve(400);
    now.addAndGet(1000);
    RateLimiter.Reservation c = limiter.reserve(300);

    assertThat(a.granted()).isTrue();
    assertThat(a.at()).isEqualTo(Instant.ofEpochMilli(T0));
    assertThat(b.granted()).isTrue();
    assertThat(b.windowUnits()).isEqualTo(800);
    assertThat(c.granted()).isFalse();
    // 200 units must leave: a's 400 leave at T0 + 10 s, 8 s from now
    assertThat(c.retryAfter()).isEqualTo(Duration.ofSeconds(8));
    assertThat(c.windowUnits()).isEqualTo(800);

    now.set(T0 + 9_999);
    RateLimiter.Reservation early = limiter.reserve(300);
    assertThat(early.granted()).isFalse();
    assertThat(early.retryAfter()).isEqualTo(Duration.ofMillis(1));

    now.set(T0 + 10_000);
    RateLimiter.Reservation onTime = limiter.reserve(300);
    assertThat(onTime.granted()).isTrue();
    assertThat(onTime.windowUnits()).isEqualTo(700);
    assertThat(raw.zcard(k.rateLog(NAME, "default"))).isEqualTo(2); // a was trimmed
  }

  @Test
  void theRetryAfterCountsEveryEntryThatMustLeave() {
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.reserve(100).granted()).isTrue();
      now.addAndGet(500);
    }
    // now T0 + 5 s, window full; 350 units need four entries of 100 to leave: the 4th was at T0 + 1.5 s
    RateLimiter.Reservation r = limiter.reserve(350);
    assertThat(r.granted()).isFalse();
    assertThat(r.retryAfter()).isEqualTo(Duration.ofMillis(T0 + 1_500 + 10_000 - now.get()));
  }

  @Test
  void reconcileRefundsTheUnusedUnits() {
    RateLimiter.Reservation big = limiter.reserve(900);
    assertThat(limiter.reserve(200).granted()).isFalse();

    RateLimiter.Reconciliation refund = limiter.reconcile(big, 300);
    assertThat(refund.applied()).isTrue();
    assertThat(refund.difference()).isEqualTo(-600);

    assertThat(limiter.usage("default").used()).isEqualTo(300);
    assertThat(limiter.reserve(700).granted()).isTrue();
    assertThat(limiter.reserve(1).granted()).isFalse();
  }

  @Test
  void reconcileChargesTheDifferenceToTheReservationsWindowAndLaterCallsWait() {
    RateLimiter.Reservation r = limiter.reserve(500);
    now.addAndGet(2_000);

    RateLimiter.Reconciliation charge = limiter.reconcile(r, 1_200);
    assertThat(charge.applied()).isTrue();
    assertThat(charge.difference()).isEqualTo(700);

    assertThat(limiter.usage("default").used()).isEqualTo(1_200);
    RateLimiter.Reservation next = limiter.reserve(1);
    assertThat(next.granted()).isFalse();
    assertThat(next.retryAfter()).isEqualTo(Duration.ofSeconds(8)); // when r leaves, at T0 + 10 s
    now.set(T0 + 10_000);
    assertThat(limiter.reserve(1000).granted()).isTrue();
  }

  @Test
  void aReservationIsReconciledOnceAndZeroRemovesItsEntry() {
    RateLimiter.Reservation r = limiter.reserve(400);

    assertThat(limiter.reconcile(r, 0).applied()).isTrue();
    assertThat(limiter.reconcile(r, 900).applied()).isFalse();

    assertThat(limiter.usage("default").used()).isZero();
    assertThat(raw.exists(k.rateLog(NAME, "default"), k.rateSum(NAME, "default"))).isZero();
  }

  @Test
  void reconcilingAfterTheWindowPassedChangesNothing() {
    RateLimiter.Reservation r = limiter.reserve(400);
    now.addAndGet(10_000);
    limiter.reserve(1000); // trims r

    assertThat(limiter.reconcile(r, 900).applied()).isFalse();
    assertThat(limiter.usage("default").used()).isEqualTo(1000);
  }

  @Test
  void anEstimateAboveTheWholeBudgetIsATypedErrorNotAWait() {
    assertThatThrownBy(() -> limiter.reserve(1001))
        .isInstanceOf(EstimateTooLargeException.class)
        .hasMessageContaining("1001")
        .hasMessageContaining("1000");
    assertThatThrownBy(() -> limiter.reserve(0)).isInstanceOf(IllegalArgumentException.class);
    // the script refuses it too, whoever calls it
    assertThatThrownBy(() -> new LimitScripts(broker).reserve(NAME, "x", "id-1", 1001, 1000, 10_000, T0))
        .isInstanceOf(EstimateTooLargeException.class)
        .extracting(e -> ((EstimateTooLargeException) e).budget())
        .isEqualTo(1000L);
    assertThat(raw.exists(k.rateLog(NAME, "x"), k.rateSum(NAME, "x"))).isZero();
  }

  @Test
  void eachKeyHasItsOwnBudget() {
    assertThat(limiter.reserve("tenant-a", 1000).granted()).isTrue();
    assertThat(limiter.reserve("tenant-a", 1).granted()).isFalse();

    assertThat(limiter.reserve("tenant-b", 1000).granted()).isTrue();

    assertThat(limiter.usage()).extracting(LimitUsage::key, LimitUsage::used, LimitUsage::max)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("tenant-a", 1000L, 1000L),
            org.assertj.core.groups.Tuple.tuple("tenant-b", 1000L, 1000L));
  }

  @Test
  void aResentReservationIsCountedOnce() {
    LimitScripts scripts = new LimitScripts(broker);
    LimitScripts.Reserved first = scripts.reserve(NAME, "default", "res-1", 300, 1000, 10_000, T0);
    LimitScripts.Reserved again = scripts.reserve(NAME, "default", "res-1", 300, 1000, 10_000, T0);

    assertThat(first).isEqualTo(new LimitScripts.Reserved(ScriptStatus.OK, T0, 0, 300));
    assertThat(again).isEqualTo(first);
    assertThat(limiter.usage("default").used()).isEqualTo(300);
  }

  @Test
  void idleKeysExpireAfterTheInterval() {
    limiter.reserve("tenant-a", 10);

    for (String key : List.of(k.rateLog(NAME, "tenant-a"), k.rateSum(NAME, "tenant-a"), k.rateKeys(NAME))) {
      assertThat(raw.pttl(key)).as(key).isBetween(1L, 11_000L);
    }
    // the index forgets keys idle for a whole interval
    now.addAndGet(10_000);
    limiter.reserve("tenant-b", 10);
    assertThat(raw.zrange(k.rateKeys(NAME), 0, -1)).containsExactly("tenant-b");
  }

  @Test
  void namesAndKeysCannotEscapeTheirHashTag() {
    assertThatThrownBy(() -> redis.client().rateLimiter("a}b", LIMIT)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter.reserve("tenant{x}", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter.reserve("has space", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter.reserve("k".repeat(129), 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RateLimit.units(10, Duration.ofMillis(999))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RateLimit.units(0, Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theInspectorReportsEveryRegisteredLimitOnTheRedisClock() {
    BatonClient baton = redis.client();
    RateLimiter tokens = baton.rateLimiter("llm:gpt-4o", RateLimit.unitsPerMinute(30_000));
    ConcurrencyLimiter calls = baton.concurrencyLimiter("llm:gpt-4o", ConcurrencyLimit.of(4));
    tokens.reserve("team-1", 1_200);
    ConcurrencyLimiter.Permit p = calls.acquire("team-1");
    calls.acquire("team-1");
    calls.release(p);

    assertThat(baton.inspector().limitNames()).contains("llm:gpt-4o", NAME);
    assertThat(baton.inspector().limitUsage())
        .filteredOn(u -> u.limit().equals("llm:gpt-4o"))
        .extracting(LimitUsage::kind, LimitUsage::key, LimitUsage::used, LimitUsage::max)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(LimitUsage.Kind.RATE, "team-1", 1_200L, 30_000L),
            org.assertj.core.groups.Tuple.tuple(LimitUsage.Kind.CONCURRENCY, "team-1", 1L, 4L));
  }
}
