package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.BreakerScripts;
import dev.baton.internal.scripts.LimitScripts;
import dev.baton.resilience.BreakerInfo;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.LimitUsage;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 11: one breaker hash or limit config written outside Baton does not blind {@link
 * Inspector#breakers()} or {@link Inspector#limitUsage()}: it is listed flagged, with why, and the
 * others are listed as usual.
 */
class InspectorMalformedIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @Test
  void anUnreadableBreakerIsListedFlaggedBetweenTheOthers() {
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    Keys k = broker.keys();
    RedisCommands<String, String> raw = redis.raw();
    BreakerScripts breakers = new BreakerScripts(broker);
    for (String dep : List.of("a-good", "b-state", "c-gen", "d-until", "e-type")) {
      breakers.registerDependency(dep);
    }
    raw.hset(k.breaker("a-good"), Map.of("st", "open", "gen", "2", "since", "5", "until", "9999999999999"));
    raw.hset(k.breaker("b-state"), Map.of("st", "bogus", "gen", "2"));
    raw.hset(k.breaker("c-gen"), Map.of("st", "closed", "gen", "x"));
    raw.hset(k.breaker("d-until"), Map.of("st", "open", "gen", "1", "until", "x"));
    raw.set(k.breaker("e-type"), "not baton");

    List<BreakerInfo> all = redis.client().inspector().breakers();

    assertThat(all).extracting(BreakerInfo::dependency).containsExactly("a-good", "b-state", "c-gen", "d-until",
        "e-type");
    assertThat(all.get(0).isMalformed()).isFalse();
    assertThat(all.get(0).state()).isEqualTo(BreakerState.OPEN);
    assertThat(all.get(0).generation()).isEqualTo(2);
    assertThat(all.get(1).malformed()).contains("unknown state").contains("bogus");
    assertThat(all.get(2).malformed()).contains("gen").contains("x");
    assertThat(all.get(2).generation()).isZero();
    assertThat(all.get(3).malformed()).contains("until");
    assertThat(all.get(4).malformed()).contains("WRONGTYPE");
  }

  @Test
  void anUnreadableLimitConfigIsListedFlaggedBetweenTheOthers() {
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    LimitScripts limits = new LimitScripts(broker);
    limits.register("a-rate", Map.of("rate.budget", "10", "rate.interval-ms", "60000"));
    limits.register("b-bad", Map.of("rate.budget", "x", "rate.interval-ms", "60000"));
    limits.register("c-permits", Map.of("permits.max", "x"));
    limits.register("d-permits", Map.of("permits.max", "2"));
    limits.reserve("a-rate", "k", "r1", 3, 10, 60_000, null);
    limits.reserve("b-bad", "k", "r1", 1, 10, 60_000, null);
    limits.acquirePermit("d-permits", "k", "tok", 2, 60_000, 1_000, null);

    List<LimitUsage> all = redis.client().inspector().limitUsage();

    assertThat(all).extracting(LimitUsage::limit).containsExactly("a-rate", "b-bad", "c-permits", "d-permits");
    assertThat(all.get(0).isMalformed()).isFalse();
    assertThat(all.get(0).used()).isEqualTo(3);
    assertThat(all.get(1).malformed()).contains("rate.budget").contains("'x'");
    assertThat(all.get(1).kind()).isEqualTo(LimitUsage.Kind.RATE);
    assertThat(all.get(1).fill()).isZero();
    assertThat(all.get(2).malformed()).contains("permits.max");
    assertThat(all.get(2).kind()).isEqualTo(LimitUsage.Kind.CONCURRENCY);
    assertThat(all.get(3).isMalformed()).isFalse();
    assertThat(all.get(3).used()).isEqualTo(1);
  }
}
