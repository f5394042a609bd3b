package dev.baton;

import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.internal.limits.RedisConcurrencyLimiter;
import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.PermitLostException;
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

/** The concurrency limiter's scripts against a real Redis, with the server time driven by the test. */
class ConcurrencyLimiterIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String NAME = "search-api";
  private static final long T0 = 1_800_000_000_000L;
  private static final ConcurrencyLimit LIMIT =
      ConcurrencyLimit.of(2).withLease(Duration.ofSeconds(5)).withRetryInterval(Duration.ofMillis(250));

  private final AtomicLong now = new AtomicLong(T0);
  private RedisBroker broker;
  private ConcurrencyLimiter limiter;
  private RedisCommands<String, String> raw;
  private Keys k;

  @BeforeEach
  void setUp() {
    broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    limiter = new RedisConcurrencyLimiter(broker, NAME, LIMIT, InstantSource.system(), now::get);
    raw = redis.raw();
    k = broker.keys();
  }

  @Test
  void grantsUpToThePermitsThenRefusesUntilOneIsReleased() {
    ConcurrencyLimiter.Permit a = limiter.acquire();
    ConcurrencyLimiter.Permit b = limiter.acquire();
    ConcurrencyLimiter.Permit c = limiter.acquire();

    assertThat(a.granted()).isTrue();
    assertThat(a.expiresAt()).isEqualTo(Instant.ofEpochMilli(T0 + 5_000));
    assertThat(b.granted()).isTrue();
    assertThat(b.inUse()).isEqualTo(2);
    assertThat(c.granted()).isFalse();
    assertThat(c.retryAfter()).isEqualTo(Duration.ofMillis(250)); // sooner than the 5 s lease

    assertThat(limiter.release(a)).isTrue();
    ConcurrencyLimiter.Permit d = limiter.acquire();
    assertThat(d.granted()).isTrue();
    assertThat(limiter.usage("default").used()).isEqualTo(2);
  }

  @Test
  void theRetryAfterIsTheEarliestLeaseExpiryWhenThatIsSooner() {
    limiter.acquire();
    now.addAndGet(1_000);
    limiter.acquire();
    now.set(T0 + 4_900);

    ConcurrencyLimiter.Permit refused = limiter.acquire();

    assertThat(refused.granted()).isFalse();
    assertThat(refused.retryAfter()).isEqualTo(Duration.ofMillis(100));
    assertThat(refused.expiresAt()).isEqualTo(Instant.ofEpochMilli(T0 + 4_900));
  }

  @Test
  void anExpiredLeaseIsReclaimedByTheNextAcquireAndIsFencedOff() {
    ConcurrencyLimiter.Permit dead1 = limiter.acquire();
    ConcurrencyLimiter.Permit dead2 = limiter.acquire();
    now.set(T0 + 4_999);
    assertThat(limiter.acquire().granted()).isFalse();

    now.set(T0 + 5_000); // both leases ran out: their holder died
    ConcurrencyLimiter.Permit fresh = limiter.acquire();

    assertThat(fresh.granted()).isTrue();
    assertThat(fresh.inUse()).isEqualTo(1);
    assertThatThrownBy(() -> limiter.renew(dead1)).isInstanceOf(PermitLostException.class);
    assertThat(limiter.release(dead2)).isFalse();
    assertThat(limiter.usage("default").used()).isEqualTo(1);
  }

  @Test
  void anExpiredButUnreclaimedPermitCannotBeRenewed() {
    ConcurrencyLimiter.Permit p = limiter.acquire();
    now.set(T0 + 5_000);

    assertThatThrownBy(() -> limiter.renew(p)).isInstanceOf(PermitLostException.class);
    assertThat(raw.zcard(k.permits(NAME, "default"))).isZero();
  }

  @Test
  void renewingExtendsTheLeaseFromNow() {
    ConcurrencyLimiter.Permit p = limiter.acquire();
    limiter.acquire();
    now.set(T0 + 4_000);

    ConcurrencyLimiter.Permit renewed = limiter.renew(p);

    assertThat(renewed.expiresAt()).isEqualTo(Instant.ofEpochMilli(T0 + 9_000));
    now.set(T0 + 6_000); // the other permit ran out, the renewed one did not
    assertThat(limiter.usage("default").used()).isEqualTo(1);
    assertThat(limiter.acquire().granted()).isTrue();
    assertThat(limiter.acquire().granted()).isFalse();
    assertThat(limiter.release(renewed)).isTrue();
  }

  @Test
  void aReleasedPermitCannotBeReleasedOrRenewedAgain() {
    ConcurrencyLimiter.Permit p = limiter.acquire();
    ConcurrencyLimiter.Permit other = limiter.acquire();

    assertThat(limiter.release(p)).isTrue();
    assertThat(limiter.release(p)).isFalse();
    assertThatThrownBy(() -> limiter.renew(p)).isInstanceOf(PermitLostException.class);
    assertThat(limiter.usage("default").used()).isEqualTo(1); // other still holds
    assertThat(limiter.renew(other).granted()).isTrue();
  }

  @Test
  void eachKeyHasItsOwnPermitsAndIdleKeysExpire() {
    limiter.acquire("tenant-a");
    limiter.acquire("tenant-a");
    assertThat(limiter.acquire("tenant-a").granted()).isFalse();
    assertThat(limiter.acquire("tenant-b").granted()).isTrue();

    assertThat(limiter.usage()).extracting(LimitUsage::key, LimitUsage::used)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("tenant-a", 2L), org.assertj.core.groups.Tuple.tuple("tenant-b", 1L));
    for (String key : List.of(k.permits(NAME, "tenant-a"), k.permits(NAME, "tenant-b"), k.permitKeys(NAME))) {
      assertThat(raw.pttl(key)).as(key).isBetween(1L, 6_000L);
    }
  }

  @Test
  void aResentAcquireTakesOnePermit() {
    LimitScripts scripts = new LimitScripts(broker);
    LimitScripts.PermitDecision first = scripts.acquirePermit(NAME, "default", "tok-1", 2, 5000, 250, T0);
    LimitScripts.PermitDecision again = scripts.acquirePermit(NAME, "default", "tok-1", 2, 5000, 250, T0);

    assertThat(first).extracting(LimitScripts.PermitDecision::status, LimitScripts.PermitDecision::expiresAtMillis,
        LimitScripts.PermitDecision::inUse).containsExactly(ScriptStatus.OK, T0 + 5_000, 1L);
    assertThat(again).extracting(LimitScripts.PermitDecision::status, LimitScripts.PermitDecision::expiresAtMillis,
        LimitScripts.PermitDecision::inUse).containsExactly(ScriptStatus.OK, T0 + 5_000, 1L);
    assertThat(limiter.acquire().granted()).isTrue();
    assertThat(limiter.acquire().granted()).isFalse();
  }

  @Test
  void refusedPermitsAndOtherLimitsPermitsAreRejected() {
    limiter.acquire();
    limiter.acquire();
    ConcurrencyLimiter.Permit refused = limiter.acquire();
    ConcurrencyLimiter other = new RedisConcurrencyLimiter(broker, "other", LIMIT, InstantSource.system(), now::get);
    ConcurrencyLimiter.Permit foreign = other.acquire();

    assertThatThrownBy(() -> limiter.release(refused)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> limiter.renew(foreign)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ConcurrencyLimit.of(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ConcurrencyLimit.of(1).withLease(Duration.ofMillis(500)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
