package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.server.Recoverer;
import dev.baton.internal.time.Timekeeper;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.ScriptDriver;
import dev.baton.testing.SettableClock;
import dev.baton.testkit.TcpProxy;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The recoverer's grace after an outage, on its own clock: once it has seen Redis fail (a call that
 * failed, or one answered late because the client held it through a reconnect), it takes nothing
 * over until {@link Recoverer#OUTAGE_GRACE} has passed on its clock from the moment Redis answered
 * again, however long the leases have been expired. A {@link SettableClock} marks the exact end of
 * the grace; the outage itself is real (a frozen or slow TCP proxy in front of a real Redis).
 *
 * <p>Protection checked: the grace (without it, the first pass after the outage takes every task
 * over, also those whose outcome is still on its way from the worker that ran it; see
 * OutcomeAfterOutageIT for that end to end).
 */
class RecovererGraceIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "grace";
  private static final Duration TINY_LEASE = Duration.ofMillis(1);
  private static final Duration PERIOD = Duration.ofSeconds(1);

  @Test
  void afterAFailedCallItTakesNothingOverUntilTheGraceHasPassedOnItsClock() throws Exception {
    Fixture f = new Fixture(Duration.ofMillis(300));
    f.proxy.freeze();
    assertThatThrownBy(f.recoverer::runOnce).isInstanceOf(RedisUnavailableException.class);
    f.proxy.thaw();

    f.assertGraceEndsExactlyAfterOutageGrace();
  }

  @Test
  void afterALateAnswerItTakesNothingOverUntilTheGraceHasPassedOnItsClock() throws Exception {
    Fixture f = new Fixture(Duration.ofSeconds(10));
    // the reply naming the expired tasks is held in the network a little longer than LATE_ANSWER
    f.proxy.delayNextReplyContaining(f.held.keySet().iterator().next(), Duration.ofMillis(1_200));
    assertThat(f.recoverer.runOnce()).isEqualTo(PERIOD);
    assertThat(f.recovered()).as("a late answer is not acted on").isZero();

    f.assertGraceEndsExactlyAfterOutageGrace();
  }

  /**
   * Two tasks started by a consumer that then vanished, their leases long expired; a recoverer
   * behind a proxy, its calls failing after {@code commandTimeout}.
   */
  private static final class Fixture {
    final RedisCommands<String, String> raw = redis.raw();
    final Keys k = new Keys(redis.prefix());
    final SettableClock clock = new SettableClock();
    final TcpProxy proxy;
    final Recoverer recoverer;
    final Map<String, String[]> held;

    Fixture(Duration commandTimeout) throws Exception {
      BatonClient baton = redis.client();
      RedisBroker direct = redis.closeAfter(new RedisBroker(redis.config().build()));
      proxy = redis.closeAfter(new TcpProxy(redis.server().port()));
      RedisBroker proxied = redis.closeAfter(new RedisBroker(
          redis.config().redisUri(proxy.uri()).commandTimeout(commandTimeout).build()));
      for (int i = 0; i < 2; i++) {
        baton.dispatcher().enqueue(TaskRequest.builder(Q).build());
      }
      held = ScriptDriver.startAs(direct, raw, Q, "vanished", 2);
      assertThat(held).hasSize(2);
      Thread.sleep(5); // idle longer than the 1 ms lease (Redis-side idle time)
      recoverer = new Recoverer(proxied, List.of(new Recoverer.Target(Q, TINY_LEASE, 5)), PERIOD,
          Timekeeper.of(clock, null));
    }

    long recovered() {
      String v = raw.hget(k.stats(Q), "recovered");
      return v == null ? 0 : Long.parseLong(v);
    }

    void assertGraceEndsExactlyAfterOutageGrace() {
      // Redis answers again: the grace runs from here, on the recoverer's clock
      assertThat(recoverer.runOnce()).isEqualTo(PERIOD);
      assertThat(recovered()).isZero();
      clock.advance(Recoverer.OUTAGE_GRACE.minusMillis(1));
      assertThat(recoverer.runOnce()).isEqualTo(PERIOD);
      assertThat(recovered()).as("taken over within the grace").isZero();
      assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isEqualTo(2);
      for (String id : held.keySet()) {
        assertThat(raw.hget(k.task(Q, id), "own")).isEqualTo("vanished");
      }

      clock.advance(Duration.ofMillis(1));
      assertThat(recoverer.runOnce()).isEqualTo(PERIOD);
      assertThat(recovered()).as("taken over once the grace has passed").isEqualTo(2);
      for (String id : held.keySet()) {
        assertThat(raw.hget(k.task(Q, id), "st")).isIn("queued", "scheduled");
      }
    }
  }
}
