package dev.baton.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.chaos.FaultEvent.Kind;
import dev.baton.chaos.HistoryEvent.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The checker on small hand-made histories: one figure at a time. */
class CheckerTest {
  private static final int CONCURRENCY = 4;

  private final List<String> accepted = new ArrayList<>();
  private final Map<String, TaskRecord> records = new HashMap<>();
  private final List<HistoryEvent> events = new ArrayList<>();
  private final List<FaultEvent> faults = new ArrayList<>();

  // ---- building blocks -----------------------------------------------------------------------

  private void start(long at, String task, int attempt, long delivery, String worker) {
    events.add(HistoryEvent.start(at, task, attempt, delivery, worker));
  }

  private void finish(long at, String task, int attempt, long delivery, String worker, Outcome outcome) {
    events.add(HistoryEvent.finish(at, task, attempt, delivery, worker, outcome));
  }

  /** One execution that started and finished ok. */
  private void ran(String task, long from, long to, int attempt, long delivery, String worker) {
    start(from, task, attempt, delivery, worker);
    finish(to, task, attempt, delivery, worker, Outcome.OK);
  }

  /** An accepted task that succeeded with the result of (worker, delivery, attempt). */
  private void succeeded(String task, String worker, long delivery, int attempt, TaskRecord.Attempt... hist) {
    accepted.add(task);
    List<TaskRecord.Attempt> h = new ArrayList<>(List.of(hist));
    if (h.isEmpty()) {
      h.add(new TaskRecord.Attempt(attempt, worker, 0, 0, null));
    }
    records.put(task, new TaskRecord(task, "succeeded", delivery, attempt,
        "{\"w\":\"" + worker + "\",\"d\":" + delivery + ",\"a\":" + attempt + "}", h, null, false));
  }

  private ChaosReport check() {
    return Checker.check(new Checker.Params("test", new LinkedHashMap<>(), CONCURRENCY, 2_000, 1_000_000), accepted,
        records, events, 0, faults);
  }

  // ---- tests ---------------------------------------------------------------------------------

  @Test
  void aCleanRunHasNothingToReport() {
    ran("a", 100, 120, 1, 1, "w1-g1");
    succeeded("a", "w1-g1", 1, 1);
    ran("b", 110, 150, 1, 1, "w2-g1");
    succeeded("b", "w2-g1", 1, 1);

    ChaosReport r = check();

    assertThat(r.passed()).as(r.toMarkdown()).isTrue();
    assertThat(r.count(ChaosReport.ACCEPTED)).isEqualTo(2);
    assertThat(r.count(ChaosReport.SUCCEEDED)).isEqualTo(2);
    assertThat(r.count(ChaosReport.EXECUTIONS)).isEqualTo(2);
    assertThat(r.count(ChaosReport.DUPLICATED)).isZero();
    assertThat(r.count(ChaosReport.LOST)).isZero();
    assertThat(r.count(ChaosReport.STALE)).isZero();
  }

  @Test
  void aTaskKilledMidRunAndRunAgainElsewhereIsNotADuplicateAndGivesARedeliveryTime() {
    start(100, "a", 1, 1, "w1-g1"); // no finish: w1-g1 is killed at 200
    faults.add(new FaultEvent(Kind.KILL, "w1-g1", 200, 200));
    ran("a", 2_450, 2_470, 1, 2, "w2-g1");
    succeeded("a", "w2-g1", 2, 1);

    ChaosReport r = check();

    assertThat(r.passed()).as(r.toMarkdown()).isTrue();
    assertThat(r.count(ChaosReport.DUPLICATED)).isZero();
    assertThat(r.redelivery().get(Kind.KILL)).isEqualTo(new Latency(1, 2_250, 2_250, 2_250));
    assertThat(r.count(ChaosReport.ALLOWANCE)).isEqualTo(CONCURRENCY);
  }

  @Test
  void redeliveryWithRedisDowntimeExcludedLeavesOutTheOutageInBetween() {
    start(100, "a", 1, 1, "w1-g1"); // no finish: w1-g1 is killed at 200
    faults.add(new FaultEvent(Kind.KILL, "w1-g1", 200, 200));
    faults.add(new FaultEvent(Kind.REDIS_CRASH, "", 1_000, 7_000)); // Redis down 6 s right after the kill
    faults.add(new FaultEvent(Kind.REDIS_CRASH, "", 20_000, 21_000)); // after the takeover: not counted
    ran("a", 9_450, 9_470, 1, 2, "w2-g1");
    succeeded("a", "w2-g1", 2, 1);

    ChaosReport r = check();

    assertThat(r.redelivery().get(Kind.KILL)).isEqualTo(new Latency(1, 9_250, 9_250, 9_250));
    assertThat(r.redeliveryRedisUp().get(Kind.KILL)).isEqualTo(new Latency(1, 3_250, 3_250, 3_250));
    assertThat(r.toMarkdown()).contains("| redelivery after kill, Redis downtime excluded | p50 3250 ms");
  }

  @Test
  void aTaskFinishedOkTwiceIsADuplicateBlamedOnTheKillInBetween() {
    ran("a", 100, 150, 1, 1, "w1-g1"); // finished, killed before its outcome write
    faults.add(new FaultEvent(Kind.KILL, "w1-g1", 160, 160));
    ran("a", 2_500, 2_520, 1, 2, "w2-g1");
    succeeded("a", "w2-g1", 2, 1);

    ChaosReport r = check();

    assertThat(r.count(ChaosReport.DUPLICATED)).isEqualTo(1);
    assertThat(r.duplicates().get(0).reason()).isEqualTo("finished ok again");
    assertThat(r.duplicates().get(0).cause()).isEqualTo("kill");
    assertThat(r.duplicates().get(0).execution().worker()).isEqualTo("w2-g1");
    assertThat(r.passed()).as("1 duplicate <= 1 kill x concurrency").isTrue();
    assertThat(r.toMarkdown()).contains("| a | kill | finished ok again | w2-g1 attempt 1 delivery 2");
  }

  @Test
  void aPausedHolderOverlapsItsSuccessorAndIsBlamedOnThePause() {
    start(100, "a", 1, 1, "w1-g1");
    faults.add(new FaultEvent(Kind.PAUSE, "w1-g1", 150, 4_000));
    ran("a", 2_400, 2_450, 1, 2, "w2-g1");
    finish(4_300, "a", 1, 1, "w1-g1", Outcome.CANCELLED); // cancelled 300 ms after SIGCONT
    succeeded("a", "w2-g1", 2, 1);

    ChaosReport r = check();

    assertThat(r.passed()).as(r.toMarkdown()).isTrue();
    assertThat(r.duplicates()).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo("started while another execution ran");
      assertThat(d.cause()).isEqualTo("pause");
    });
    assertThat(r.redelivery().get(Kind.PAUSE).max()).isEqualTo(2_250);
    assertThat(r.holderStop().get(Kind.PAUSE).max()).isEqualTo(300);
  }

  @Test
  void aFrozenSlotIsBlamedForEveryIncarnationOfIt() {
    ran("a", 100, 120, 1, 1, "w3-g2"); // its outcome write waits behind the frozen proxy
    faults.add(new FaultEvent(Kind.FREEZE, "w3", 110, 5_000));
    ran("a", 2_500, 2_520, 1, 2, "w1-g1");
    succeeded("a", "w1-g1", 2, 1);

    ChaosReport r = check();

    assertThat(r.duplicates()).singleElement().extracting(ChaosReport.Duplicate::cause).isEqualTo("freeze");
  }

  @Test
  void aWorkerPausedAfterStartingATaskButBeforeItsHandlerRanIsBlamedOnThePause() {
    faults.add(new FaultEvent(Kind.PAUSE, "w1-g1", 10_000, 13_500)); // the task was started at 9_990
    start(13_600, "a", 1, -1, "w1-g1"); // the handler runs after SIGCONT, no longer the holder
    finish(13_620, "a", 1, -1, "w1-g1", Outcome.OK);
    ran("a", 40_000, 40_020, 1, 2, "w2-g1"); // requeued behind a backlog
    succeeded("a", "w2-g1", 2, 1);

    ChaosReport r = check();

    assertThat(r.duplicates()).singleElement().extracting(ChaosReport.Duplicate::cause).isEqualTo("pause");
  }

  @Test
  void aWorkerFrozenBetweenStartingATaskAndRunningItsHandlerIsBlamedThoughItsHandlerRanSecond() {
    faults.add(new FaultEvent(Kind.FREEZE, "w3", 2_600, 7_000)); // the start reply waits in the proxy
    ran("a", 5_150, 5_160, 1, 2, "w1-g4"); // taken over and finished meanwhile
    ran("a", 7_040, 7_050, 1, -1, "w3-g6"); // the frozen worker runs the handler after the thaw
    succeeded("a", "w1-g4", 2, 1);

    ChaosReport r = check();

    assertThat(r.duplicates()).singleElement().satisfies(d -> {
      assertThat(d.cause()).isEqualTo("freeze");
      assertThat(d.execution().worker()).isEqualTo("w3-g6");
    });
    assertThat(r.staleWrites()).isEmpty();
  }

  @Test
  void aKillVictimAlreadyTakenOverBeforeTheKillGivesNoRedeliverySample() {
    start(100, "a", 1, 1, "w1-g1");
    faults.add(new FaultEvent(Kind.PAUSE, "w1-g1", 150, 4_000));
    ran("a", 2_400, 2_450, 1, 2, "w2-g1");
    faults.add(new FaultEvent(Kind.KILL, "w1-g1", 5_000, 5_000)); // killed after it was taken over
    succeeded("a", "w2-g1", 2, 1);

    ChaosReport r = check();

    assertThat(r.redelivery().get(Kind.KILL)).isEqualTo(Latency.NONE);
    assertThat(r.anomalies()).isEmpty();
  }

  @Test
  void aDuplicateWithNoFaultToBlameIsUnexplainedAndListedAsAnAnomaly() {
    ran("a", 10_100, 10_120, 1, 1, "w1-g1");
    ran("a", 10_130, 10_150, 1, 2, "w2-g1");
    succeeded("a", "w2-g1", 2, 1);
    faults.add(new FaultEvent(Kind.KILL, "w3-g1", 10_050, 10_050)); // a third worker: no excuse
    faults.add(new FaultEvent(Kind.PAUSE, "w1-g1", 5_000, 7_000)); // over before this task was started

    ChaosReport r = check();

    assertThat(r.duplicates()).singleElement().extracting(ChaosReport.Duplicate::cause).isEqualTo("unexplained");
    assertThat(r.anomalies()).singleElement().extracting(ChaosReport.Finding::taskId).isEqualTo("a");
  }

  @Test
  void moreDuplicatesThanTheFaultsAllowFailTheRun() {
    for (int i = 0; i < CONCURRENCY + 1; i++) {
      String t = "t" + i;
      ran(t, 100, 120, 1, 1, "w1-g1");
      ran(t, 2_500, 2_520, 1, 2, "w2-g1");
      succeeded(t, "w2-g1", 2, 1);
    }
    faults.add(new FaultEvent(Kind.KILL, "w1-g1", 200, 200));

    ChaosReport r = check();

    assertThat(r.count(ChaosReport.DUPLICATED)).isEqualTo(CONCURRENCY + 1);
    assertThat(r.failures()).singleElement().asString().startsWith("duplicated executions = 5 > allowed 4");
  }

  @Test
  void executionsInFlightAtARedisCrashAreAllowedAndCountedSeparately() {
    ran("a", 100, 300, 1, 1, "w1-g1"); // in flight at the crash; its write is lost with the connection
    ran("b", 100, 150, 1, 1, "w2-g1"); // finished before it
    succeeded("b", "w2-g1", 1, 1);
    faults.add(new FaultEvent(Kind.REDIS_CRASH, "", 200, 3_000));
    ran("a", 3_100, 3_150, 1, 2, "w2-g1");
    succeeded("a", "w2-g1", 2, 1);

    ChaosReport r = check();

    assertThat(r.count(ChaosReport.IN_FLIGHT_AT_REDIS_CRASH)).isEqualTo(1);
    assertThat(r.count(ChaosReport.ALLOWANCE)).isEqualTo(1);
    assertThat(r.duplicates()).singleElement().extracting(ChaosReport.Duplicate::cause).isEqualTo("redis");
    assertThat(r.passed()).as(r.toMarkdown()).isTrue();
  }

  @Test
  void aTaskWhoseRecordIsGoneOrThatNothingCanRunIsLostAndOneStillQueuedIsStuck() {
    accepted.add("gone");
    accepted.add("orphan");
    records.put("orphan", new TaskRecord("orphan", "running", 1, 1, null, List.of(), null, false));
    accepted.add("waiting");
    records.put("waiting", new TaskRecord("waiting", "queued", 1, 0, null, List.of(), null, true));
    start(100, "orphan", 1, 1, "w1-g1");

    ChaosReport r = check();

    assertThat(r.lost()).extracting(ChaosReport.Finding::taskId).containsExactly("gone", "orphan");
    assertThat(r.lost().get(1).detail()).contains("state running").contains("w1-g1 attempt 1 delivery 1");
    assertThat(r.stuck()).extracting(ChaosReport.Finding::taskId).containsExactly("waiting");
    assertThat(r.failures()).containsExactly("lost = 2 (expected 0)", "stuck = 1 (expected 0)");
  }

  @Test
  void aResultFromAnOlderDeliveryIsAStaleWrite() {
    start(100, "a", 1, 1, "w1-g1");
    ran("a", 2_500, 2_520, 1, 2, "w2-g1");
    finish(4_000, "a", 1, 1, "w1-g1", Outcome.OK); // the paused holder woke up and finished
    succeeded("a", "w1-g1", 1, 1); // ...and Redis took its write: the fence failed
    records.put("a", new TaskRecord("a", "succeeded", 2, 1, "{\"w\":\"w1-g1\",\"d\":1,\"a\":1}",
        List.of(new TaskRecord.Attempt(1, "w1-g1", 100, 4_001, null)), null, false));

    ChaosReport r = check();

    assertThat(r.staleWrites()).singleElement().satisfies(f -> assertThat(f.detail())
        .contains("result comes from delivery 1 but the record is at delivery 2")
        .contains("had started before it finished"));
    assertThat(r.failures()).contains("stale writes accepted = 1 (expected 0)");
  }

  @Test
  void aResultNoExecutionProducedIsAStaleWrite() {
    ran("a", 100, 120, 1, 1, "w1-g1");
    succeeded("a", "w9-g9", 1, 1);

    ChaosReport r = check();

    assertThat(r.staleWrites()).singleElement().satisfies(f -> assertThat(f.detail())
        .contains("matches no execution that finished ok"));
  }

  @Test
  void aFailureRecordedFromASupersededDeliveryIsAStaleWrite() {
    start(100, "a", 1, 1, "w1-g1");
    ran("a", 2_500, 2_520, 1, 2, "w2-g1");
    finish(4_000, "a", 1, 1, "w1-g1", Outcome.ERROR);
    succeeded("a", "w2-g1", 2, 1,
        new TaskRecord.Attempt(1, "w1-g1", 100, 4_001, "java.lang.IllegalStateException"),
        new TaskRecord.Attempt(1, "w2-g1", 2_500, 2_521, null));

    ChaosReport r = check();

    assertThat(r.staleWrites()).singleElement().satisfies(f -> assertThat(f.detail()).startsWith("failure of w1-g1"));
  }

  @Test
  void aPlannedFailureThenARetryIsNeitherStaleNorADuplicate() {
    start(100, "a", 1, 1, "w1-g1");
    finish(110, "a", 1, 1, "w1-g1", Outcome.ERROR);
    ran("a", 400, 420, 2, 2, "w2-g1");
    succeeded("a", "w2-g1", 2, 2,
        new TaskRecord.Attempt(1, "w1-g1", 99, 111, "java.lang.IllegalStateException"),
        new TaskRecord.Attempt(2, "w2-g1", 399, 421, null));

    ChaosReport r = check();

    assertThat(r.passed()).as(r.toMarkdown()).isTrue();
    assertThat(r.count(ChaosReport.DUPLICATED)).isZero();
  }

  @Test
  void historyLinesRoundTripAndTornLinesAreRejected() {
    HistoryEvent e = HistoryEvent.finish(1234, "t0000001", 2, 3, "w1-g4", Outcome.CANCELLED);
    assertThat(HistoryEvent.parse(e.toLine().strip())).contains(e);
    assertThat(HistoryEvent.parse("1234\tstart\tt0000001\t1\t1\tw1-g4\t-")).isPresent();
    assertThat(HistoryEvent.parse("1234\tstart\tt00000")).isEmpty();
    assertThat(HistoryEvent.parse("1234\tfinish\tt0000001\t1\t1\tw1-g4\t-")).isEmpty();
    assertThat(HistoryEvent.parse("")).isEmpty();
  }

  @Test
  void aFinishIsPairedWithTheStartOfTheSameDelivery() {
    start(100, "a", 1, 1, "w1-g1");
    start(200, "a", 1, 2, "w1-g1"); // same worker got the task again after losing its lease
    finish(250, "a", 1, 2, "w1-g1", Outcome.OK);
    finish(300, "a", 1, 1, "w1-g1", Outcome.CANCELLED);

    var execs = Checker.executions(events, faults, 1_000, new long[1]).get("a");

    assertThat(execs).extracting(Execution::delivery, Execution::startMillis, Execution::endMillis)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, 100L, 300L),
            org.assertj.core.groups.Tuple.tuple(2L, 200L, 250L));
  }

  @Test
  void latencyPercentilesAreNearestRank() {
    List<Long> samples = new ArrayList<>();
    for (long i = 1; i <= 100; i++) {
      samples.add(i);
    }
    assertThat(Latency.of(samples)).isEqualTo(new Latency(100, 50, 99, 100));
    assertThat(Latency.of(List.of())).isEqualTo(Latency.NONE);
  }
}
