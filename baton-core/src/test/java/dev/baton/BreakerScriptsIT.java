package dev.baton;

import dev.baton.resilience.BreakerState;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every transition of the breaker scripts, seeded and asserted on raw Redis state. Time is driven
 * through the state (an open breaker's {@code until}, a probe's lease end), never by sleeping.
 */
class BreakerScriptsIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String DEP = "llm:test-model";
  private RedisBroker broker;
  private RedisCommands<String, String> raw;
  private Keys k;
  private String[] keys;

  @BeforeEach
  void setUp() {
    broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    raw = redis.raw();
    k = broker.keys();
    keys = new String[] {k.breaker(DEP), k.breakerProbes(DEP), k.breakerWindow(DEP), k.breakerEvents(DEP)};
  }

  /** {code, state, gen, retryAfter} */
  private List<Object> acquire(int probes, String probeId) {
    return broker.runSync(Script.BREAKER_ACQUIRE, keys, Integer.toString(probes), "60000", probeId, "100",
        k.breakerChannel(DEP));
  }

  /** {code, state, gen} with a count window of 4, 4 minimum calls, 50 % thresholds, 2 probes. */
  private List<Object> record(long gen, String probeId, String outcome, boolean slow) {
    return recordWith("count", 4, 4, gen, probeId, outcome, slow);
  }

  private List<Object> recordWith(String type, int size, int min, long gen, String probeId, String outcome,
      boolean slow) {
    return broker.runSync(Script.BREAKER_RECORD, keys, Long.toString(gen), probeId, outcome, slow ? "1" : "0", type,
        Integer.toString(size), Integer.toString(min), "50", "50", "2", "30000", "100", k.breakerChannel(DEP));
  }

  private String state() {
    return raw.hget(k.breaker(DEP), "st");
  }

  private long gen() {
    return Long.parseLong(raw.hget(k.breaker(DEP), "gen"));
  }

  private void open() {
    for (int i = 0; i < 4; i++) {
      record(0, "", "failure", false);
    }
    assertThat(state()).isEqualTo("open");
  }

  private void openWaitPassed() {
    raw.hset(k.breaker(DEP), "until", "0");
  }

  @Test
  void aNewBreakerIsClosedAndAllowsCalls() {
    assertThat(acquire(2, "p1")).containsExactly(1L, "closed", 0L, 0L);
    assertThat(raw.exists(k.breaker(DEP))).isZero(); // asking writes nothing
  }

  @Test
  void closedOpensOnlyOnceMinimumCallsAreInTheWindowAndTheFailureRateReachesTheThreshold() {
    record(0, "", "failure", false);
    record(0, "", "failure", false);
    record(0, "", "success", false);
    assertThat(state()).isEqualTo("closed"); // 3 calls < minimum 4, though 67 % failed
    assertThat(record(0, "", "success", false)).containsExactly(1L, "open", 1L); // 4 calls, 2 failed: 50 %
  }

  @Test
  void failureRateAtTheThresholdOpensAndEmitsOneEvent() {
    record(0, "", "success", false);
    record(0, "", "success", false);
    record(0, "", "failure", false);
    assertThat(record(0, "", "failure", false)).containsExactly(1L, "open", 1L);
    Map<String, String> b = raw.hgetall(k.breaker(DEP));
    assertThat(b).containsEntry("st", "open").containsEntry("gen", "1").containsKey("until").containsKey("since");
    assertThat(raw.exists(k.breakerWindow(DEP))).isZero(); // the window restarts
    List<StreamMessage<String, String>> events = raw.xrange(k.breakerEvents(DEP), Range.create("-", "+"));
    assertThat(events).hasSize(1);
    assertThat(events.get(0).getBody()).containsEntry("from", "closed").containsEntry("to", "open")
        .containsEntry("gen", "1");
    assertThat(events.get(0).getBody().get("reason")).startsWith("failure rate 50.0% >= 50% over 4 calls");
  }

  @Test
  void theCountWindowSlidesOldCallsOut() {
    for (int i = 0; i < 4; i++) {
      record(0, "", i < 1 ? "failure" : "success", false);
    }
    assertThat(state()).isEqualTo("closed"); // f s s s: 25 %
    record(0, "", "failure", false); // f slides out: s s s f
    assertThat(state()).isEqualTo("closed");
    assertThat(raw.hmget(k.breaker(DEP), "wc", "wf").stream().map(kv -> kv.getValue()).toList())
        .containsExactly("4", "1");
    assertThat(record(0, "", "failure", false).get(1)).isEqualTo("open"); // s s f f: 50 %
  }

  @Test
  void slowCallsOpenAtTheSlowRateThreshold() {
    record(0, "", "success", true);
    record(0, "", "success", false);
    record(0, "", "success", false);
    assertThat(record(0, "", "success", true).get(1)).isEqualTo("open");
    assertThat(raw.xrange(k.breakerEvents(DEP), Range.create("-", "+")).get(0).getBody().get("reason"))
        .startsWith("slow-call rate 50.0%");
  }

  @Test
  void theTimeWindowCountsTheCallsOfItsSeconds() {
    recordWith("time", 60, 3, 0, "", "failure", false);
    recordWith("time", 60, 3, 0, "", "failure", false);
    assertThat(state()).isEqualTo("closed");
    // a bucket older than the window is dropped, not counted
    raw.hset(k.breakerWindow(DEP), Map.of("c1000", "50", "f1000", "50"));
    assertThat(recordWith("time", 60, 3, 0, "", "success", false).get(1)).isEqualTo("open"); // 2/3 = 67 %
  }

  @Test
  void openRefusesWithTheTimeLeftThenTurnsHalfOpenOnceTheWaitHasPassed() {
    open();
    List<Object> refused = acquire(2, "p1");
    assertThat(refused.subList(0, 3)).containsExactly(0L, "open", 1L);
    assertThat((Long) refused.get(3)).isBetween(1L, 30_000L);
    assertThat(state()).isEqualTo("open");

    openWaitPassed();
    assertThat(acquire(2, "p1")).containsExactly(2L, "half_open", 2L, 0L);
    assertThat(raw.zrange(k.breakerProbes(DEP), 0, -1)).containsExactly("p1");
    List<StreamMessage<String, String>> events = raw.xrange(k.breakerEvents(DEP), Range.create("-", "+"));
    assertThat(events).extracting(e -> e.getBody().get("from") + ">" + e.getBody().get("to"))
        .containsExactly("closed>open", "open>half_open");
  }

  @Test
  void halfOpenGrantsAtMostThePermittedProbesAndClosesWhenAllSucceed() {
    open();
    openWaitPassed();
    assertThat(acquire(2, "p1").get(0)).isEqualTo(2L);
    assertThat(acquire(2, "p2").get(0)).isEqualTo(2L);
    assertThat(acquire(2, "p3").subList(0, 2)).containsExactly(0L, "half_open");
    assertThat(record(2, "p1", "success", false)).containsExactly(1L, "half_open", 2L);
    assertThat(acquire(2, "p4").get(0)).isEqualTo(0L); // a success still counts toward the limit
    assertThat(record(2, "p2", "success", false)).containsExactly(1L, "closed", 3L);
    assertThat(raw.exists(k.breakerProbes(DEP))).isZero();
    assertThat(acquire(2, "p5")).containsExactly(1L, "closed", 3L, 0L);
  }

  @Test
  void aFailedOrSlowProbeOpensAgain() {
    open();
    openWaitPassed();
    acquire(2, "p1");
    acquire(2, "p2");
    assertThat(record(2, "p1", "failure", false)).containsExactly(1L, "open", 3L);
    // the other probe's outcome arrives under the old gen: ignored
    assertThat(record(2, "p2", "success", false)).containsExactly(0L, "open", 3L);
    openWaitPassed();
    acquire(2, "p3");
    assertThat(record(4, "p3", "success", true)).containsExactly(1L, "open", 5L);
  }

  @Test
  void aProbeWhoseLeaseRanOutGivesItsSlotBack() {
    open();
    openWaitPassed();
    acquire(1, "p1");
    assertThat(acquire(1, "p2").get(0)).isEqualTo(0L);
    raw.zadd(k.breakerProbes(DEP), 1, "p1"); // its worker died: the lease ended long ago
    assertThat(acquire(1, "p2").get(0)).isEqualTo(2L);
    assertThat(record(2, "p1", "success", false).get(0)).isEqualTo(0L); // the late probe counts for nothing
    assertThat(state()).isEqualTo("half_open");
  }

  @Test
  void anIgnoredProbeOutcomeFreesItsSlotWithoutDeciding() {
    open();
    openWaitPassed();
    acquire(1, "p1");
    assertThat(record(2, "p1", "ignore", false)).containsExactly(1L, "half_open", 2L);
    assertThat(acquire(1, "p2").get(0)).isEqualTo(2L);
  }

  @Test
  void illegalTransitionsCannotHappen() {
    // closed never turns half_open: asking for permission only ever allows
    for (int i = 0; i < 5; i++) {
      assertThat(acquire(2, "p" + i).get(0)).isEqualTo(1L);
    }
    open();
    long g = gen();
    // open ignores every outcome, of this gen or an older one: never open -> closed
    for (int i = 0; i < 10; i++) {
      assertThat(record(g, "", "success", false).get(0)).isEqualTo(0L);
      assertThat(record(0, "", "success", false).get(0)).isEqualTo(0L);
    }
    assertThat(state()).isEqualTo("open");
    openWaitPassed();
    acquire(2, "p1");
    // half_open: a call that is not a known probe decides nothing
    assertThat(record(gen(), "", "success", false).get(0)).isEqualTo(0L);
    assertThat(record(gen(), "p-unknown", "failure", false).get(0)).isEqualTo(0L);
    assertThat(state()).isEqualTo("half_open");
    List<StreamMessage<String, String>> events = raw.xrange(k.breakerEvents(DEP), Range.create("-", "+"));
    for (StreamMessage<String, String> e : events) {
      BreakerState from = BreakerState.fromWire(e.getBody().get("from"));
      BreakerState to = BreakerState.fromWire(e.getBody().get("to"));
      assertThat(from.canTransitionTo(to)).as("%s -> %s", from, to).isTrue();
    }
  }

  @Test
  void theStateScriptReportsRatesAndProbes() {
    record(0, "", "failure", false);
    record(0, "", "success", true);
    List<Object> s = broker.runSync(Script.BREAKER_STATE, new String[] {keys[0], keys[1], keys[2]});
    assertThat(s.subList(0, 2)).containsExactly("closed", 0L);
    assertThat(s.subList(4, 9)).containsExactly(2L, 1L, 1L, 0L, 0L);
  }
}
