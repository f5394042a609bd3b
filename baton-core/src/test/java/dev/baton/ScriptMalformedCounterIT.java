package dev.baton;

import static dev.baton.ScriptEnv.DEP;
import static dev.baton.ScriptEnv.Q;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.scripts.BreakerScripts;
import dev.baton.internal.scripts.RecoveryScripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerState;
import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 11: a counter a script increments that holds something other than an integer (written
 * outside Baton) never fails the script half-applied. Stats counters and the parking counts {@code
 * n:<dep>} are reset to the call's own change (never below 0) and the transition completes; a
 * breaker hash with an unreadable field is reset to a fresh closed breaker in the next gen before
 * anything else is written (data-model.md, "No script fails half-applied"). One row per script and
 * counter, each run with {@code "x"} and with a value too big for a 64-bit integer.
 */
class ScriptMalformedCounterIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String TOO_BIG = "99999999999999999999";

  /**
   * One row: the script, the counter (key and field), the value it must hold after the call, and the
   * task's state the call must have reached.
   */
  record Row(String script, BiFunction<Keys, String, String> key, String field, String expected, String state,
      Function<ScriptEnv, ScriptEnv.Call> prepare) {
    @Override
    public String toString() {
      return script + ".lua / " + field;
    }
  }

  static Stream<Arguments> rows() {
    List<Row> rows = List.of(
        new Row("enqueue", Keys::stats, "enqueued", "1", "queued", e -> {
          e.id = "t1";
          return new ScriptEnv.Call(e.k.stats(Q), () -> e.enqueue("t1", 0, ""));
        }),
        new Row("start", Keys::stats, "dead", "1", "dead", e -> e.startCall(Keys::stats, true)),
        new Row("complete", Keys::stats, "succeeded", "1", "succeeded", e -> e.completeCall(Keys::stats)),
        new Row("fail", Keys::stats, "retried", "1", "retrying",
            e -> e.failCall(Keys::stats, TaskScripts.FailMode.RETRY)),
        new Row("fail", Keys::stats, "dead", "1", "dead", e -> e.failCall(Keys::stats, TaskScripts.FailMode.DEAD)),
        new Row("park", Keys::stats, "parked", "1", "parked", e -> e.parkCall(Keys::stats)),
        new Row("park", Keys::parking, "n:dep", "1", "parked", e -> e.parkCall(Keys::parking)),
        new Row("cancel", Keys::stats, "cancelled", "1", "cancelled", e -> e.cancelCall(Keys::stats, e.scheduled())),
        new Row("cancel", Keys::parking, "n:dep", "0", "cancelled", e -> e.cancelCall(Keys::parking, e.parked())),
        new Row("unpark", Keys::stats, "unparked", "1", "queued", e -> e.unparkCall(Keys::stats, false)),
        new Row("unpark", Keys::parking, "n:dep", "0", "queued", e -> e.unparkCall(Keys::parking, false)),
        new Row("unpark", Keys::stats, "dead", "1", "dead", e -> e.unparkCall(Keys::stats, true)),
        new Row("recover", Keys::stats, "recovered", "1", "queued", e -> e.recoverCall(Keys::stats)),
        new Row("replay", Keys::stats, "replayed", "1", "queued", e -> e.replayCall(Keys::stats)),
        new Row("dead-entry", Keys::stats, "dead", "1", null, e -> e.deadEntryCall(Keys::stats)),
        new Row("audit", Keys::stats, "dead", "1", "dead", e -> {
          // a queued task whose entry was deleted outside Baton: audit dead-letters it
          String id = e.queued();
          e.raw.xdel(e.k.stream(Q), e.raw.hget(e.k.task(Q, id), "eid"));
          return new ScriptEnv.Call(e.k.stats(Q), () -> new RecoveryScripts(e.broker).audit(Q,
              List.of(e.k.task(Q, id))));
        }));
    return rows.stream().flatMap(r -> Stream.of(Arguments.of(r, "x"), Arguments.of(r, TOO_BIG)));
  }

  @ParameterizedTest(name = "{0} = {1}")
  @MethodSource("rows")
  void aMalformedCounterIsResetAndTheTransitionCompletes(Row row, String bad) {
    ScriptEnv e = new ScriptEnv(redis);
    ScriptEnv.Call call = row.prepare().apply(e);
    String key = row.key().apply(e.k, Q);
    e.raw.hset(key, row.field(), bad);

    call.run().run();

    assertThat(e.raw.hget(key, row.field())).as("%s of %s", row.field(), key).isEqualTo(row.expected());
    if (row.state() != null) {
      assertThat(e.raw.hget(e.k.task(Q, e.id), "st")).isEqualTo(row.state());
    } else {
      assertThat(e.raw.zcard(e.k.dead(Q))).as("the tombstone is dead-lettered").isEqualTo(1);
    }
  }

  static Stream<Arguments> breakerFields() {
    return Stream.of(
        Arguments.of("st", "bogus", 4), Arguments.of("gen", "x", 1), Arguments.of("gen", TOO_BIG, 1),
        Arguments.of("since", "x", 4), Arguments.of("ok", "x", 4), Arguments.of("wc", "x", 4),
        Arguments.of("wf", TOO_BIG, 4), Arguments.of("ws", "x", 4), Arguments.of("until", "x", 4));
  }

  /**
   * breaker-acquire on a breaker with one unreadable field: reset to closed in the next gen (gen 1
   * when gen itself was unreadable), window and probes deleted, and the call allowed.
   */
  @ParameterizedTest(name = "breaker-acquire: {0} = {1}")
  @MethodSource("breakerFields")
  void breakerAcquireResetsAnUnreadableBreakerToClosed(String field, String bad, long gen) {
    ScriptEnv e = new ScriptEnv(redis);
    corruptBreaker(e, field, bad);

    BreakerScripts.Decision d = new BreakerScripts(e.broker).acquire(DEP, BreakerConfig.builder().build(), "p2",
        Duration.ofSeconds(10));

    assertThat(d.status()).isEqualTo(ScriptStatus.OK);
    assertThat(d.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(d.gen()).isEqualTo(gen);
    assertFreshClosed(e, gen);
  }

  /**
   * breaker-record on a breaker with one unreadable field: reset the same way; the outcome, given
   * under the gen before the reset, is ignored as after any transition.
   */
  @ParameterizedTest(name = "breaker-record: {0} = {1}")
  @MethodSource("breakerFields")
  void breakerRecordResetsAnUnreadableBreakerToClosedAndIgnoresTheOutcome(String field, String bad, long gen) {
    ScriptEnv e = new ScriptEnv(redis);
    corruptBreaker(e, field, bad);

    BreakerScripts.Recorded r = new BreakerScripts(e.broker).record(DEP, BreakerConfig.builder().build(), 3, "",
        BreakerScripts.Outcome.FAILURE, false, Duration.ofSeconds(10));

    assertThat(r.status()).isEqualTo(ScriptStatus.UNCHANGED);
    assertThat(r.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(r.gen()).isEqualTo(gen);
    assertFreshClosed(e, gen);
  }

  /** A breaker in gen 3 with a window and a probe; {@code field} set to {@code bad}. */
  private static void corruptBreaker(ScriptEnv e, String field, String bad) {
    Map<String, String> b = new HashMap<>(Map.of("st", "closed", "gen", "3", "since", "0", "ok", "0", "wc", "2",
        "wf", "1", "ws", "0", "wt", "count", "wsz", "10"));
    if (field.equals("until")) {
      b.put("st", "open");
    }
    b.put(field, bad);
    e.raw.hset(e.k.breaker(DEP), b);
    e.raw.rpush(e.k.breakerWindow(DEP), "o", "f");
    e.raw.zadd(e.k.breakerProbes(DEP), Long.MAX_VALUE / 2, "p1");
  }

  private static void assertFreshClosed(ScriptEnv e, long gen) {
    Map<String, String> b = e.raw.hgetall(e.k.breaker(DEP));
    assertThat(b).containsEntry("st", "closed").containsEntry("gen", Long.toString(gen)).containsEntry("wc", "0")
        .containsEntry("wf", "0").containsEntry("ws", "0").containsEntry("ok", "0").doesNotContainKey("until");
    assertThat(Long.parseLong(b.get("since"))).isPositive();
    assertThat(e.raw.exists(e.k.breakerWindow(DEP), e.k.breakerProbes(DEP))).isZero();
  }
}
