package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static dev.baton.ScriptEnv.DEP;
import static dev.baton.ScriptEnv.LIMIT;
import static dev.baton.ScriptEnv.ME;
import static dev.baton.ScriptEnv.Q;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.scripts.DeadLetterScripts;
import dev.baton.internal.scripts.RecoveryScripts;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.internal.scripts.WrongKeyTypeException;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 11, item 5: no script fails half-applied. Redis does not roll back a script that errors
 * after a write, so every script reads or type-checks each key it writes before its first write.
 * One row per (script, key it writes): the queue is brought to a state where the script writes that
 * key, the key is then replaced by a value of another type (a string where a hash, sorted set or
 * stream belongs; a hash where the dedup string belongs), and the script is run through its gateway.
 * The call must fail with a {@link WrongKeyTypeException} naming the script and the key, and every
 * key of the test's prefix must be exactly as before (type, DUMP, whether it has a TTL).
 */
class ScriptWrongTypeIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();


  /** One row of the table. */
  record Row(String script, String role, Function<ScriptEnv, ScriptEnv.Call> prepare) {
    @Override
    public String toString() {
      return script + ".lua / " + role;
    }
  }

  static Stream<Row> rows() {
    return Stream.of(
        // enqueue: task, stream, delayed, dedup, stats
        new Row("enqueue", "task", e -> new ScriptEnv.Call(e.k.task(Q, "t1"), () -> e.enqueue("t1", 0, ""))),
        new Row("enqueue", "stream", e -> new ScriptEnv.Call(e.k.stream(Q), () -> e.enqueue("t1", 0, ""))),
        new Row("enqueue", "delayed", e -> new ScriptEnv.Call(e.k.delayed(Q), () -> e.enqueue("t1", 60_000, ""))),
        new Row("enqueue", "dedup", e -> new ScriptEnv.Call(e.k.dedup(Q, "d1"), () -> e.enqueue("t1", 0, "d1"))),
        new Row("enqueue", "stats", e -> new ScriptEnv.Call(e.k.stats(Q), () -> e.enqueue("t1", 0, ""))),
        // start: task (read), stream (skip/dead), dead and stats (dead-letter)
        new Row("start", "task", e -> e.startCall(null, false)),
        new Row("start", "stream", e -> e.startCall(Keys::stream, true)),
        new Row("start", "dead", e -> e.startCall(Keys::dead, true)),
        new Row("start", "stats", e -> e.startCall(Keys::stats, true)),
        // complete: task, stream, stats
        new Row("complete", "task", e -> e.completeCall(null)),
        new Row("complete", "stream", e -> e.completeCall(Keys::stream)),
        new Row("complete", "stats", e -> e.completeCall(Keys::stats)),
        // fail: task, stream, delayed (retry), dead (dead), stats
        new Row("fail", "task", e -> e.failCall(null, TaskScripts.FailMode.RETRY)),
        new Row("fail", "stream", e -> e.failCall(Keys::stream, TaskScripts.FailMode.RETRY)),
        new Row("fail", "delayed", e -> e.failCall(Keys::delayed, TaskScripts.FailMode.RETRY)),
        new Row("fail", "dead", e -> e.failCall(Keys::dead, TaskScripts.FailMode.DEAD)),
        new Row("fail", "stats", e -> e.failCall(Keys::stats, TaskScripts.FailMode.DEAD)),
        // park: task, stream, parked, parking, stats
        new Row("park", "task", e -> e.parkCall(null)),
        new Row("park", "stream", e -> e.parkCall(Keys::stream)),
        new Row("park", "parked", e -> e.parkCall(Keys::parked)),
        new Row("park", "parking", e -> e.parkCall(Keys::parking)),
        new Row("park", "stats", e -> e.parkCall(Keys::stats)),
        // release and renew: task, stream
        new Row("release", "task", e -> e.releaseCall(null)),
        new Row("release", "stream", e -> e.releaseCall(Keys::stream)),
        new Row("renew", "task", e -> e.renewCall(null)),
        new Row("renew", "stream", e -> e.renewCall(Keys::stream)),
        // cancel: task, delayed and stats (scheduled), stream (queued, not delivered), parked and parking
        new Row("cancel", "task", e -> e.cancelCall(null, e.scheduled())),
        new Row("cancel", "delayed", e -> e.cancelCall(Keys::delayed, e.scheduled())),
        new Row("cancel", "stats", e -> e.cancelCall(Keys::stats, e.scheduled())),
        new Row("cancel", "stream", e -> e.cancelCall(Keys::stream, e.queued())),
        new Row("cancel", "parked", e -> e.cancelCall(Keys::parked, e.parked())),
        new Row("cancel", "parking", e -> e.cancelCall(Keys::parking, e.parked())),
        // promote: task, stream (a retry due now)
        new Row("promote", "task", e -> e.promoteCall(null)),
        new Row("promote", "stream", e -> e.promoteCall(Keys::stream)),
        // unpark: parked, parking, task, stream and stats (release), dead (ended past its max wait)
        new Row("unpark", "parked", e -> e.unparkCall(Keys::parked, false)),
        new Row("unpark", "parking", e -> e.unparkCall(Keys::parking, false)),
        new Row("unpark", "task", e -> e.unparkCall(null, false)),
        new Row("unpark", "stream", e -> e.unparkCall(Keys::stream, false)),
        new Row("unpark", "stats", e -> e.unparkCall(Keys::stats, false)),
        new Row("unpark", "dead", e -> e.unparkCall(Keys::dead, true)),
        // recover: stream, dead, stats, delayed (a task key of the wrong type is skipped: see below)
        new Row("recover", "stream", e -> e.recoverCall(Keys::stream)),
        new Row("recover", "dead", e -> e.recoverCall(Keys::dead)),
        new Row("recover", "stats", e -> e.recoverCall(Keys::stats)),
        new Row("recover", "delayed", e -> e.recoverCall(Keys::delayed)),
        // replay: task, stream, dead, stats
        new Row("replay", "task", e -> e.replayCall(null)),
        new Row("replay", "stream", e -> e.replayCall(Keys::stream)),
        new Row("replay", "dead", e -> e.replayCall(Keys::dead)),
        new Row("replay", "stats", e -> e.replayCall(Keys::stats)),
        // dead-entry: stream, dead, stats
        new Row("dead-entry", "stream", e -> e.deadEntryCall(Keys::stream)),
        new Row("dead-entry", "dead", e -> e.deadEntryCall(Keys::dead)),
        new Row("dead-entry", "stats", e -> e.deadEntryCall(Keys::stats)),
        // purge: dead
        new Row("purge", "dead", e -> {
          String id = e.dead();
          return new ScriptEnv.Call(e.k.dead(Q), () -> new DeadLetterScripts(e.broker).purge(Q, List.of(id)));
        }),
        // audit: stream, dead, stats, delayed, parked
        new Row("audit", "stream", e -> e.auditCall(Keys::stream)),
        new Row("audit", "dead", e -> e.auditCall(Keys::dead)),
        new Row("audit", "stats", e -> e.auditCall(Keys::stats)),
        new Row("audit", "delayed", e -> e.auditCall(Keys::delayed)),
        new Row("audit", "parked", e -> e.auditCall(Keys::parked)),
        // the limits: rate-reserve (log, sum, index), rate-reconcile (log, sum), permit-* (holders, index)
        new Row("rate-reserve", "log", e -> new ScriptEnv.Call(e.k.rateLog(LIMIT, "k"), e::reserve)),
        new Row("rate-reserve", "sum", e -> new ScriptEnv.Call(e.k.rateSum(LIMIT, "k"), e::reserve)),
        new Row("rate-reserve", "index", e -> new ScriptEnv.Call(e.k.rateKeys(LIMIT), e::reserve)),
        new Row("rate-reconcile", "log", e -> e.reconcileCall(e.k.rateLog(LIMIT, "k"))),
        new Row("rate-reconcile", "sum", e -> e.reconcileCall(e.k.rateSum(LIMIT, "k"))),
        new Row("permit-acquire", "holders", e -> new ScriptEnv.Call(e.k.permits(LIMIT, "k"), e::acquire)),
        new Row("permit-acquire", "index", e -> new ScriptEnv.Call(e.k.permitKeys(LIMIT), e::acquire)),
        new Row("permit-renew", "holders", e -> e.permitCall(e.k.permits(LIMIT, "k"), true)),
        new Row("permit-renew", "index", e -> e.permitCall(e.k.permitKeys(LIMIT), true)),
        new Row("permit-release", "holders", e -> e.permitCall(e.k.permits(LIMIT, "k"), false)),
        // the breakers: breaker-acquire (breaker; probes when half-open), breaker-record (breaker, window;
        // probes when half-open)
        new Row("breaker-acquire", "breaker", e -> new ScriptEnv.Call(e.k.breaker(DEP), () -> e.breakerAcquire())),
        new Row("breaker-acquire", "probes", e -> {
          e.halfOpen();
          return new ScriptEnv.Call(e.k.breakerProbes(DEP), () -> e.breakerAcquire());
        }),
        new Row("breaker-record", "breaker", e -> new ScriptEnv.Call(e.k.breaker(DEP), () -> e.breakerRecord(0, ""))),
        new Row("breaker-record", "window", e -> new ScriptEnv.Call(e.k.breakerWindow(DEP), () -> e.breakerRecord(0, ""))),
        new Row("breaker-record", "probes", e -> {
          e.halfOpen();
          return new ScriptEnv.Call(e.k.breakerProbes(DEP), () -> e.breakerRecord(1, "p1"));
        }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void aKeyOfTheWrongTypeFailsTheCallNamingScriptAndKeyAndNothingChanges(Row row) {
    ScriptEnv e = new ScriptEnv(redis);
    ScriptEnv.Call call = row.prepare().apply(e);
    e.breakKey(call.key());
    Map<String, String> before = e.snapshot();

    Throwable thrown = catchThrowable(() -> call.run().run());

    WrongKeyTypeException w = wrongType(thrown);
    assertThat(w).as("a WrongKeyTypeException in %s", thrown).isNotNull();
    assertThat(w.script()).isEqualTo(row.script());
    assertThat(w.key()).isEqualTo(call.key());
    assertThat(w.getMessage()).contains(row.script() + ".lua", call.key(), "nothing was written");
    assertThat(e.snapshot()).isEqualTo(before);
  }

  /**
   * recover.lua does not fail on a task key of the wrong type: one such key would stop the recovery
   * of its whole queue, pass after pass. It leaves that entry pending and untouched, reports the
   * key, and takes the other entries over.
   */
  @Test
  void recoverLeavesAnEntryWhoseRecordIsNotAHashAloneReportsItAndTakesOverTheOthers() {
    ScriptEnv e = new ScriptEnv(redis);
    TaskScripts.Held bad = e.running();
    TaskScripts.Held good = e.running();
    ScriptEnv.sleep(5);
    e.breakKey(e.k.task(Q, bad.id()));

    RecoveryScripts.Recovered r = new RecoveryScripts(e.broker).recover(Q, 1, 5, 0.5, List.of(
        new RecoveryScripts.StaleEntry(bad.entryId(), bad.id()), new RecoveryScripts.StaleEntry(good.entryId(),
            good.id())));

    assertThat(r.skippedKeys()).containsExactly(e.k.task(Q, bad.id()));
    assertThat(r.requeuedIds()).containsExactly(good.id());
    assertThat(r.deadIds()).isEmpty();
    assertThat(e.raw.get(e.k.task(Q, bad.id()))).isEqualTo("not baton");
    assertThat(e.raw.xpending(e.k.stream(Q), Keys.GROUP, Range.create(bad.entryId(), bad.entryId()), Limit.from(1)))
        .hasSize(1);
    assertThat(e.raw.hget(e.k.task(Q, good.id()), "st")).isEqualTo("queued");
  }

  private static WrongKeyTypeException wrongType(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof WrongKeyTypeException w) {
        return w;
      }
    }
    return null;
  }

}
