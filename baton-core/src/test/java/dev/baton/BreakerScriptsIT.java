package dev.baton;

import dev.baton.resilience.BreakerState;
import dev.baton.resilience.BreakerTransition;
import static dev.baton.internal.scripts.ScriptStatus.OK;
import static dev.baton.internal.scripts.ScriptStatus.PROBE;
import static dev.baton.internal.scripts.ScriptStatus.REFUSED;
import static dev.baton.internal.scripts.ScriptStatus.UNCHANGED;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.BreakerScripts;
import dev.baton.internal.scripts.BreakerScripts.Decision;
import dev.baton.internal.scripts.BreakerScripts.Outcome;
import dev.baton.internal.scripts.BreakerScripts.Recorded;
import dev.baton.resilience.BreakerConfig;
import java.time.Duration;
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
  private static final Duration WITHIN = Duration.ofSeconds(10);
  private RedisBroker broker;
  private RedisCommands<String, String> raw;
  private Keys k;
  private BreakerScripts scripts;

  @BeforeEach
  void setUp() {
    broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    raw = redis.raw();
    k = broker.keys();
    scripts = new BreakerScripts(broker);
  }

  /** With {@code probes} permitted probes leased for 60 s. */
  private Decision acquire(int probes, String probeId) {
    BreakerConfig config = BreakerConfig.builder().permittedProbes(probes).probeLease(Duration.ofSeconds(60)).build();
    return scripts.acquire(DEP, config, probeId, WITHIN);
  }

  /** With a count window of 4, 4 minimum calls, 50 % thresholds, 2 probes. */
  private Recorded record(long gen, String probeId, String outcome, boolean slow) {
    return recordWith("count", 4, 4, gen, probeId, outcome, slow);
  }

  private Recorded recordWith(String type, int size, int min, long gen, String probeId, String outcome,
      boolean slow) {
    BreakerConfig.Builder b = BreakerConfig.builder();
    BreakerConfig config = (type.equals("count") ? b.countWindow(size) : b.timeWindow(size)).minimumCalls(min)
        .failureRateThreshold(50).slowCallRateThreshold(50).permittedProbes(2).waitInOpen(Duration.ofSeconds(30))
        .build();
    return scripts.record(DEP, config, gen, probeId, Outcome.valueOf(outcome.toUpperCase(java.util.Locale.ROOT)), slow,
        WITHIN);
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
    assertThat(acquire(2, "p1")).usingRecursiveComparison().ignoringFields("transition").isEqualTo(new Decision(OK, BreakerState.CLOSED, 0, 0, null));
    assertThat(raw.exists(k.breaker(DEP))).isZero(); // asking writes nothing
  }

  @Test
  void closedOpensOnlyOnceMinimumCallsAreInTheWindowAndTheFailureRateReachesTheThreshold() {
    record(0, "", "failure", false);
    record(0, "", "failure", false);
    record(0, "", "success", false);
    assertThat(state()).isEqualTo("closed"); // 3 calls < minimum 4, though 67 % failed
    Recorded opened = record(0, "", "success", false); // 4 calls, 2 failed: 50 %
    assertThat(opened).usingRecursiveComparison().ignoringFields("transition")
        .isEqualTo(new Recorded(OK, BreakerState.OPEN, 1, null));
    // the call that opened the breaker reports the transition it made
    assertThat(opened.transition()).extracting(BreakerTransition::from, BreakerTransition::to, BreakerTransition::generation)
        .containsExactly(BreakerState.CLOSED, BreakerState.OPEN, 1L);
    assertThat(opened.transition().reason()).startsWith("failure rate 50.0% >= 50%");
  }

  @Test
  void failureRateAtTheThresholdOpensAndEmitsOneEvent() {
    record(0, "", "success", false);
    record(0, "", "success", false);
    record(0, "", "failure", false);
    assertThat(record(0, "", "failure", false)).usingRecursiveComparison().ignoringFields("transition").isEqualTo(new Recorded(OK, BreakerState.OPEN, 1, null));
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
    assertThat(record(0, "", "failure", false).state()).isEqualTo(BreakerState.OPEN); // s s f f: 50 %
  }

  @Test
  void slowCallsOpenAtTheSlowRateThreshold() {
    record(0, "", "success", true);
    record(0, "", "success", false);
    record(0, "", "success", false);
    assertThat(record(0, "", "success", true).state()).isEqualTo(BreakerState.OPEN);
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
    assertThat(recordWith("time", 60, 3, 0, "", "success", false).state()).isEqualTo(BreakerState.OPEN); // 2/3 = 67 %
  }

  @Test
  void openRefusesWithTheTimeLeftThenTurnsHalfOpenOnceTheWaitHasPassed() {
    open();
    Decision refused = acquire(2, "p1");
    assertThat(refused).extracting(Decision::status, Decision::state, Decision::gen)
        .containsExactly(REFUSED, BreakerState.OPEN, 1L);
    assertThat(refused.retryAfterMillis()).isBetween(1L, 30_000L);
    assertThat(state()).isEqualTo("open");

    openWaitPassed();
    Decision probe = acquire(2, "p1");
    assertThat(probe).usingRecursiveComparison().ignoringFields("transition")
        .isEqualTo(new Decision(PROBE, BreakerState.HALF_OPEN, 2, 0, null));
    assertThat(probe.transition()).extracting(BreakerTransition::from, BreakerTransition::to, BreakerTransition::generation)
        .containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN, 2L);
    assertThat(raw.zrange(k.breakerProbes(DEP), 0, -1)).containsExactly("p1");
    assertThat(acquire(2, "p9").transition()).isNull(); // only the call that moved it reports the move
    List<StreamMessage<String, String>> events = raw.xrange(k.breakerEvents(DEP), Range.create("-", "+"));
    assertThat(events).extracting(e -> e.getBody().get("from") + ">" + e.getBody().get("to"))
        .containsExactly("closed>open", "open>half_open");
  }

  @Test
  void halfOpenGrantsAtMostThePermittedProbesAndClosesWhenAllSucceed() {
    open();
    openWaitPassed();
    assertThat(acquire(2, "p1").status()).isEqualTo(PROBE);
    assertThat(acquire(2, "p2").status()).isEqualTo(PROBE);
    assertThat(acquire(2, "p3")).extracting(Decision::status, Decision::state)
        .containsExactly(REFUSED, BreakerState.HALF_OPEN);
    Recorded first = record(2, "p1", "success", false);
    assertThat(first).usingRecursiveComparison().ignoringFields("transition")
        .isEqualTo(new Recorded(OK, BreakerState.HALF_OPEN, 2, null));
    assertThat(first.transition()).isNull();
    assertThat(acquire(2, "p4").status()).isEqualTo(REFUSED); // a success still counts toward the limit
    Recorded closed = record(2, "p2", "success", false);
    assertThat(closed).usingRecursiveComparison().ignoringFields("transition")
        .isEqualTo(new Recorded(OK, BreakerState.CLOSED, 3, null));
    assertThat(closed.transition()).extracting(BreakerTransition::from, BreakerTransition::to, BreakerTransition::reason)
        .containsExactly(BreakerState.HALF_OPEN, BreakerState.CLOSED, "2 probes succeeded");
    assertThat(raw.exists(k.breakerProbes(DEP))).isZero();
    assertThat(acquire(2, "p5")).usingRecursiveComparison().ignoringFields("transition").isEqualTo(new Decision(OK, BreakerState.CLOSED, 3, 0, null));
  }

  @Test
  void aFailedOrSlowProbeOpensAgain() {
    open();
    openWaitPassed();
    acquire(2, "p1");
    acquire(2, "p2");
    assertThat(record(2, "p1", "failure", false)).usingRecursiveComparison().ignoringFields("transition").isEqualTo(new Recorded(OK, BreakerState.OPEN, 3, null));
    // the other probe's outcome arrives under the old gen: ignored
    assertThat(record(2, "p2", "success", false)).usingRecursiveComparison().ignoringFields("transition").isEqualTo(new Recorded(UNCHANGED, BreakerState.OPEN, 3, null));
    openWaitPassed();
    acquire(2, "p3");
    assertThat(record(4, "p3", "success", true)).usingRecursiveComparison().ignoringFields("transition").isEqualTo(new Recorded(OK, BreakerState.OPEN, 5, null));
  }

  @Test
  void aProbeWhoseLeaseRanOutGivesItsSlotBack() {
    open();
    openWaitPassed();
    acquire(1, "p1");
    assertThat(acquire(1, "p2").status()).isEqualTo(REFUSED);
    raw.zadd(k.breakerProbes(DEP), 1, "p1"); // its worker died: the lease ended long ago
    assertThat(acquire(1, "p2").status()).isEqualTo(PROBE);
    assertThat(record(2, "p1", "success", false).status()).isEqualTo(UNCHANGED); // the late probe counts for nothing
    assertThat(state()).isEqualTo("half_open");
  }

  @Test
  void anIgnoredProbeOutcomeFreesItsSlotWithoutDeciding() {
    open();
    openWaitPassed();
    acquire(1, "p1");
    assertThat(record(2, "p1", "ignore", false)).usingRecursiveComparison().ignoringFields("transition").isEqualTo(new Recorded(OK, BreakerState.HALF_OPEN, 2, null));
    assertThat(acquire(1, "p2").status()).isEqualTo(PROBE);
  }

  @Test
  void illegalTransitionsCannotHappen() {
    // closed never turns half_open: asking for permission only ever allows
    for (int i = 0; i < 5; i++) {
      assertThat(acquire(2, "p" + i).status()).isEqualTo(OK);
    }
    open();
    long g = gen();
    // open ignores every outcome, of this gen or an older one: never open -> closed
    for (int i = 0; i < 10; i++) {
      assertThat(record(g, "", "success", false).status()).isEqualTo(UNCHANGED);
      assertThat(record(0, "", "success", false).status()).isEqualTo(UNCHANGED);
    }
    assertThat(state()).isEqualTo("open");
    openWaitPassed();
    acquire(2, "p1");
    // half_open: a call that is not a known probe decides nothing
    assertThat(record(gen(), "", "success", false).status()).isEqualTo(UNCHANGED);
    assertThat(record(gen(), "p-unknown", "failure", false).status()).isEqualTo(UNCHANGED);
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
    BreakerScripts.Snapshot s = scripts.state(DEP);
    assertThat(s.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(s.gen()).isZero();
    assertThat(s).extracting(BreakerScripts.Snapshot::calls, BreakerScripts.Snapshot::failures,
        BreakerScripts.Snapshot::slowCalls, BreakerScripts.Snapshot::probesInFlight,
        BreakerScripts.Snapshot::probeSuccesses).containsExactly(2L, 1L, 1L, 0L, 0L);
  }
}
