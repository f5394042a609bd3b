package dev.baton;

import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.DependencyUnavailableException;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.breaker.DependencyHandle;
import dev.baton.internal.breaker.DistributedBreaker;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * F29: sixteen workers, each with its own Redis connection and breaker instance, race into the
 * same half-open breaker at once, round after round. The dependency never sees more than the
 * permitted probes, neither at the same time nor in total per round.
 */
class HalfOpenHerdIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final int WORKERS = 16;
  private static final int PROBES = 3;
  private static final int ROUNDS = 15;
  private static final String DEP = "llm:herd";

  @Test
  void probesNeverExceedThePermittedNumberFleetWide() throws Exception {
    BreakerConfig config = BreakerConfig.builder().countWindow(4).minimumCalls(4).permittedProbes(PROBES)
        .waitInOpen(Duration.ofMinutes(5)).build();
    List<DependencyHandle> handles = new ArrayList<>();
    for (int i = 0; i < WORKERS; i++) {
      RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
      handles.add(new DependencyHandle(
          new DistributedBreaker(DependencyConfig.of(DEP, config), broker, InstantSource.system())));
    }
    RedisCommands<String, String> raw = redis.raw();
    Keys k = new Keys(redis.prefix());
    for (int i = 0; i < 4; i++) {
      try {
        handles.get(i).call(() -> {
          throw new IOException("connection refused");
        });
      } catch (DependencyUnavailableException expected) {
        // counted as a failure
      }
    }
    assertThat(raw.hget(k.breaker(DEP), "st")).isEqualTo("open");

    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
    try {
      for (int round = 1; round <= ROUNDS; round++) {
        boolean last = round == ROUNDS;
        raw.hset(k.breaker(DEP), "until", "0"); // the wait in open has passed
        AtomicInteger calls = new AtomicInteger();
        CyclicBarrier go = new CyclicBarrier(WORKERS);
        List<Future<Boolean>> results = new ArrayList<>();
        for (DependencyHandle h : handles) {
          results.add(pool.submit(() -> {
            go.await();
            try {
              h.call(() -> {
                calls.incrementAndGet();
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                  Thread.sleep(100);
                } finally {
                  inFlight.decrementAndGet();
                }
                if (!last) {
                  throw new DependencyUnavailableException(DEP, "still down");
                }
                return "ok";
              });
              return true;
            } catch (DependencyUnavailableException e) {
              return false;
            }
          }));
        }
        int succeeded = 0;
        for (Future<Boolean> f : results) {
          succeeded += f.get() ? 1 : 0;
        }
        assertThat(calls.get()).as("calls reaching the dependency in round %d", round).isBetween(1, PROBES);
        assertThat(raw.hget(k.breaker(DEP), "st")).isEqualTo(last ? "closed" : "open");
        if (last) {
          assertThat(succeeded).isEqualTo(PROBES);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(maxInFlight.get()).isLessThanOrEqualTo(PROBES);
    // every round went open -> half_open -> open, and the last one closed
    assertThat(raw.xlen(k.breakerEvents(DEP))).isEqualTo(1 + 2L * ROUNDS);
  }
}
