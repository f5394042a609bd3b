package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.B;
import static dev.baton.LayoutV2Fixture.PAYLOAD;
import static dev.baton.LayoutV2Fixture.Q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.CycleScripts.Isolation;
import dev.baton.internal.scripts.RecoveryV2Scripts.Recovered;
import dev.baton.internal.scripts.RecoveryV2Scripts.StaleEntry;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.internal.scripts.TaskV2Scripts.ReleaseKind;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Layout v2's stale.lua and recover.lua through {@code RecoveryV2Scripts}, and the cycle's isolation
 * of suspects, against a real Redis (docs/hot-path-v2.md): an abandoned delivery waits under
 * '~recovered', from its second abandonment under '~suspect'; a suspect is run alone by the holder of
 * the isolation lock and called poison only when an isolated delivery ends without an outcome at
 * the limit; entries of reserved consumers hold no lease; tombstones for entries without a task;
 * a wrong-typed bucket is skipped without stopping the others.
 */
class LayoutV2RecoveryIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  /** A lease short enough that an entry read now is past it a few ms later. */
  private static final long LEASE = 5;
  private static final int MAX = 3;

  private LayoutV2Fixture v2;

  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
  }

  @Test
  void anAbandonedFirstDeliveryWaitsUnderRecoveredWithANewToken() {
    Held held = v2.deliver("t-1");

    List<StaleEntry> stale = staleEntries(1);
    assertThat(stale).containsExactly(new StaleEntry(held.token(), "t-1"));
    Recovered r = v2.recovery.recover(Q, stale, LEASE, MAX);

    assertThat(r.recovered()).isEqualTo(1);
    assertThat(r.recoveredIds()).containsExactly("t-1");
    assertThat(r.deadLettered()).isZero();
    assertThat(r.skippedKeys()).isEmpty();
    assertThat(v2.pendingPerConsumer()).containsExactly(Map.entry("~recovered", 1L));
    assertThat(v2.index("t-1")).isEqualTo("q2,0,1,0," + held.token());
    assertThat(v2.stat("recovered")).isEqualTo("1");
    assertThat(v2.raw.exists(v2.k.task(Q, "t-1"))).isZero();
    assertThat(v2.succeed(A, "t-1", held.token())).isEqualTo(ScriptStatus.NOT_HELD); // the old holder is fenced off

    CycleScripts.Claimed c = v2.cycle(B, 10).claimed().get(0);
    assertThat(c.token()).isEqualTo("q3,0,1,0," + held.token());
    assertThat(c.payloadJson()).isEqualTo(PAYLOAD);
  }

  @Test
  void asManyWorkersIsolateAsSuspectsWaitUpToTheSlotCount() {
    // two suspects, placed under ~suspect by hand: two workers may isolate, a third fetches as usual
    for (String id : List.of("s-1", "s-2")) {
      String eid = v2.deliver(id).token();
      v2.raw.xclaim(v2.k.stream(Q), io.lettuce.core.Consumer.from(Keys.GROUP, "~suspect"), 0, eid);
      v2.raw.hset(v2.k.indexBucket(Q, id), id, "q3,0,2,0," + eid);
    }

    assertThat(v2.cycle(A, 10).isolation()).isEqualTo(Isolation.DRAIN);
    assertThat(v2.cycle(B, 10).isolation()).isEqualTo(Isolation.DRAIN);
    assertThat(v2.cycle("worker-c", 10).isolation()).isEqualTo(Isolation.NONE);
    assertThat(v2.raw.zrange(lock(), 0, -1)).containsExactlyInAnyOrder(A, B);

    CycleScripts.Reply a = v2.cycle(A, 10, Isolation.ALONE);
    CycleScripts.Reply b = v2.cycle(B, 10, Isolation.ALONE);
    assertThat(a.claimed()).hasSize(1);
    assertThat(b.claimed()).hasSize(1);
    assertThat(a.claimed().get(0).id()).isNotEqualTo(b.claimed().get(0).id());
    assertThat(a.claimed().get(0).token()).startsWith("i");
  }

  @Test
  void aSuspectIsRunAloneByOneWorkerAndDeadLetteredWhenItsIsolatedDeliveryIsAbandonedAtTheLimit()
      throws Exception {
    BlockingQueue<String> finished = v2.subscribe(v2.k.finishedChannel(Q));
    String eid = v2.deliver("t-1").token();
    abandon(MAX); // 1: ~recovered
    assertThat(v2.cycle(B, 10).claimed()).hasSize(1);

    Recovered second = abandon(MAX); // 2: a suspect

    assertThat(second.recoveredIds()).containsExactly("t-1");
    assertThat(v2.pendingPerConsumer()).containsExactly(Map.entry("~suspect", 1L));
    assertThat(v2.index("t-1")).isEqualTo("q4,0,2,0," + eid);
    assertThat(v2.stat("recovered")).isEqualTo("2");

    // a cycle does not claim a suspect; the first one that sees it takes the lock and drains
    CycleScripts.Reply drain = v2.cycle(B, 10);
    assertThat(drain.claimed()).isEmpty();
    assertThat(drain.isolation()).isEqualTo(Isolation.DRAIN);
    assertThat(v2.raw.zrange(lock(), 0, -1)).containsExactly(B);
    CycleScripts.Reply other = v2.cycle(A, 10);
    assertThat(other.claimed()).isEmpty();
    assertThat(other.isolation()).isEqualTo(Isolation.NONE);
    assertThat(v2.raw.zrange(lock(), 0, -1)).containsExactly(B);

    CycleScripts.Reply alone = v2.cycle(B, 10, Isolation.ALONE);
    assertThat(alone.isolation()).isEqualTo(Isolation.ALONE);
    assertThat(alone.claimed()).hasSize(1);
    CycleScripts.Claimed c = alone.claimed().get(0);
    assertThat(c.token()).isEqualTo("i5,0,2,0," + eid);
    assertThat(c.attempt()).isEqualTo(1);
    assertThat(v2.pendingPerConsumer()).containsExactly(Map.entry(B, 1L));

    Recovered third = abandon(MAX); // 3, isolated: poison

    assertThat(third.recovered()).isZero();
    assertThat(third.deadLettered()).isEqualTo(1);
    assertThat(third.deadIds()).containsExactly("t-1");
    assertThat(third.unnotified()).isNull();
    assertThat(v2.record("t-1")).containsEntry("st", "dead").containsEntry("nol", "3").containsEntry("dn", "5")
        .containsEntry("att", "0").containsEntry("p", PAYLOAD)
        .containsEntry("why", "max deliveries exceeded: 3 deliveries ended without an outcome, the last one run alone");
    assertThat(v2.raw.zscore(v2.k.dead(Q), "t-1")).isNotNull();
    assertThat(v2.index("t-1")).isEqualTo("x");
    assertThat(v2.stat("dead")).isEqualTo("1");
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
    assertThat(v2.pendingPerConsumer()).isEmpty();
    assertThat(finished.poll(5, TimeUnit.SECONDS)).isEqualTo("t-1");

    // no suspect left: the lock is given up
    CycleScripts.Reply after = v2.cycle(B, 10, Isolation.ALONE);
    assertThat(after.claimed()).isEmpty();
    assertThat(after.isolation()).isEqualTo(Isolation.NONE);
    assertThat(v2.raw.zrange(lock(), 0, -1)).isEmpty();
  }

  @Test
  void aSuspectPastTheLimitWhoseLastDeliveryWasNotIsolatedIsNotCalledPoison() {
    String eid = v2.deliver("t-1").token();
    abandon(2);
    v2.cycle(B, 10); // delivered again, not alone

    Recovered r = abandon(2); // nol 2 = the limit

    assertThat(r.recoveredIds()).containsExactly("t-1");
    assertThat(r.deadLettered()).isZero();
    assertThat(v2.pendingPerConsumer()).containsExactly(Map.entry("~suspect", 1L));
    assertThat(v2.index("t-1")).isEqualTo("q4,0,2,0," + eid);
    assertThat(v2.raw.zcard(v2.k.dead(Q))).isZero();
  }

  @Test
  void aWorkerAloneClaimsExactlyOneSuspect() {
    String one = v2.deliver("t-1").token();
    String two = v2.deliver("t-2").token();
    for (String[] s : new String[][] {{"t-1", one}, {"t-2", two}}) {
      v2.raw.xclaim(v2.k.stream(Q), Consumer.from(Keys.GROUP, "~suspect"), 0, s[1]);
      v2.raw.hset(v2.k.indexBucket(Q, s[0]), s[0], "q3,1,2,0," + s[1]);
    }
    assertThat(v2.cycle(A, 10).isolation()).isEqualTo(Isolation.DRAIN);

    CycleScripts.Reply alone = v2.cycle(A, 10, Isolation.ALONE);

    assertThat(alone.claimed()).hasSize(1);
    CycleScripts.Claimed c = alone.claimed().get(0);
    assertThat(c.id()).isEqualTo("t-1");
    assertThat(c.token()).isEqualTo("i4,1,2,0," + one);
    assertThat(c.attempt()).isEqualTo(2);
    assertThat(v2.pendingPerConsumer()).containsOnly(Map.entry(A, 1L), Map.entry("~suspect", 1L));
    assertThat(v2.index("t-2")).isEqualTo("q3,1,2,0," + two);
    assertThat(v2.succeed(A, "t-1", c.token())).isEqualTo(ScriptStatus.OK);
  }

  @Test
  void entriesOfReservedConsumersHoldNoLeaseAndAreNotListed() {
    Held released = v2.deliver("t-1");
    Held recovered = v2.deliver("t-2");
    Held running = v2.deliver("t-3");
    v2.tasks.release(Q, List.of(released), ReleaseKind.PLAIN, 3);
    v2.recovery.recover(Q, List.of(new StaleEntry(recovered.token(), "t-2")), 0, MAX);
    assertThat(v2.pendingPerConsumer()).containsOnly(Map.entry("~released", 1L), Map.entry("~recovered", 1L),
        Map.entry(A, 1L));
    await().atMost(Duration.ofSeconds(5)).until(() -> v2.pending(released.token()).getMsSinceLastDelivery() > LEASE
        && v2.pending(recovered.token()).getMsSinceLastDelivery() > LEASE);

    assertThat(v2.recovery.stale(Q, LEASE, 10)).containsExactly(new StaleEntry(running.token(), "t-3"));
    assertThat(v2.recovery.stale(Q, LEASE, 1)).containsExactly(new StaleEntry(running.token(), "t-3"));
  }

  @Test
  void anEntryRenewedOrTakenMeanwhileIsSkipped() {
    Held held = v2.deliver("t-1");
    List<StaleEntry> stale = staleEntries(1);
    v2.tasks.renew(Q, A, List.of(held));
    Map<String, String> before = v2.snapshot();

    Recovered r = v2.recovery.recover(Q, stale, 60_000, MAX); // idle less than this lease: renewed

    assertThat(r.recovered() + r.deadLettered() + r.cleaned()).isZero();
    assertThat(v2.snapshot()).isEqualTo(before);
    v2.recovery.recover(Q, stale, 0, MAX);
    Map<String, String> taken = v2.snapshot();
    Recovered again = v2.recovery.recover(Q, stale, 0, MAX); // now under ~recovered
    assertThat(again.recovered()).isZero();
    assertThat(v2.snapshot()).isEqualTo(taken);
  }

  @Test
  void anEntryListedTwiceInOneCallIsRecoveredOnce() {
    Held held = v2.deliver("t-1");
    StaleEntry e = staleEntries(1).get(0);

    Recovered r = v2.recovery.recover(Q, List.of(e, e), LEASE, MAX);

    assertThat(r.recovered()).isEqualTo(1);
    assertThat(r.recoveredIds()).containsExactly("t-1");
    assertThat(v2.index("t-1")).isEqualTo("q2,0,1,0," + held.token());
    assertThat(v2.stat("recovered")).isEqualTo("1");
  }

  @Test
  void anEntryWhoseTaskMovedOnIsAcknowledgedAndDeleted() {
    Held held = v2.deliver("t-1");
    v2.raw.hset(v2.k.indexBucket(Q, "t-1"), "t-1", "d"); // retried meanwhile, by something else

    Recovered r = v2.recovery.recover(Q, staleEntries(1), LEASE, MAX);

    assertThat(r.cleaned()).isEqualTo(1);
    assertThat(v2.entry(held.token())).isNull();
    assertThat(v2.pendingPerConsumer()).isEmpty();
    assertThat(v2.index("t-1")).isEqualTo("d");
  }

  @Test
  void anEntryWhoseTaskIsInNoIndexBecomesADeadTombstone() throws Exception {
    BlockingQueue<String> finished = v2.subscribe(v2.k.finishedChannel(Q));
    Held held = v2.deliver("t-1");
    v2.raw.hdel(v2.k.indexBucket(Q, "t-1"), "t-1");

    Recovered r = v2.recovery.recover(Q, staleEntries(1), LEASE, MAX);

    assertThat(r.deadIds()).containsExactly("t-1");
    assertThat(v2.record("t-1")).containsEntry("st", "dead").containsEntry("id", "t-1")
        .containsEntry("why", "task record missing for stream entry " + held.token())
        .containsEntry("ct", Long.toString(LayoutV2Fixture.msOf(held.token()))).containsKey("ft");
    assertThat(v2.raw.zscore(v2.k.dead(Q), "t-1")).isNotNull();
    assertThat(v2.index("t-1")).isEqualTo("x");
    assertThat(v2.entry(held.token())).isNull();
    assertThat(v2.pendingPerConsumer()).isEmpty();
    assertThat(v2.stat("dead")).isEqualTo("1");
    assertThat(finished.poll(5, TimeUnit.SECONDS)).isEqualTo("t-1");
  }

  @Test
  void anEntryWithoutATaskIdBecomesATombstoneNamedAfterTheEntry() {
    String eid = v2.raw.xadd(v2.k.stream(Q), Map.of("x", "written by hand"));
    v2.raw.xgroupCreate(io.lettuce.core.XReadArgs.StreamOffset.from(v2.k.stream(Q), "0"), Keys.GROUP);
    v2.read(A, 1);

    List<StaleEntry> stale = staleEntries(1);
    assertThat(stale).containsExactly(new StaleEntry(eid, ""));
    Recovered r = v2.recovery.recover(Q, stale, LEASE, MAX);

    String tombstone = "entry-" + eid;
    assertThat(r.deadIds()).containsExactly(tombstone);
    assertThat(v2.record(tombstone)).containsEntry("st", "dead").containsEntry("id", tombstone)
        .containsEntry("why", "stream entry " + eid + " has no task id (written outside Baton)");
    assertThat(v2.index(tombstone)).isEqualTo("x");
    assertThat(v2.raw.zscore(v2.k.dead(Q), tombstone)).isNotNull();
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
    assertThat(v2.pendingPerConsumer()).isEmpty();
  }

  @Test
  void anEntryTrimmedWhilePendingBecomesATombstoneNamedAfterTheEntry() {
    Held held = v2.deliver("t-1");
    v2.raw.xdel(v2.k.stream(Q), held.token());

    List<StaleEntry> stale = staleEntries(1);
    assertThat(stale).containsExactly(new StaleEntry(held.token(), ""));
    Recovered r = v2.recovery.recover(Q, stale, LEASE, MAX);

    String tombstone = "entry-" + held.token();
    assertThat(r.deadIds()).containsExactly(tombstone);
    assertThat(v2.record(tombstone)).containsEntry("why", "stream entry deleted while pending (trimmed outside Baton?)");
    assertThat(v2.pendingPerConsumer()).isEmpty();
  }

  @Test
  void anIndexValueBatonDoesNotWriteIsDeadLetteredWithThePayload() {
    Held held = v2.deliver(A, "t-1", "{\"max\":2}");
    v2.raw.hset(v2.k.indexBucket(Q, "t-1"), "t-1", "zzz");

    Recovered r = v2.recovery.recover(Q, staleEntries(1), LEASE, MAX);

    assertThat(r.deadIds()).containsExactly("t-1");
    assertThat(v2.record("t-1")).containsEntry("why", "unknown task state 'zzz'").containsEntry("p", PAYLOAD)
        .containsEntry("o", "{\"max\":2}");
    assertThat(v2.entry(held.token())).isNull();
  }

  @Test
  void aWrongTypedIndexBucketIsSkippedWhileTheOtherEntriesAreRecovered() {
    Held bad = v2.deliver("t-1");
    Held good = v2.deliver("t-2");
    String bucket = v2.k.indexBucket(Q, "t-1");
    v2.breakKey(bucket);
    List<StaleEntry> stale = staleEntries(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> v2.pending(bad.token()).getMsSinceLastDelivery() >= 200);
    long idleBefore = v2.pending(bad.token()).getMsSinceLastDelivery();

    Recovered r = v2.recovery.recover(Q, stale, LEASE, MAX);

    assertThat(r.skippedKeys()).containsExactly(bucket);
    assertThat(r.recoveredIds()).containsExactly("t-2");
    assertThat(v2.index("t-2")).isEqualTo("q2,0,1,0," + good.token());
    assertThat(v2.pending(bad.token()).getConsumer()).isEqualTo(A); // left with its owner
    assertThat(v2.pending(bad.token()).getMsSinceLastDelivery()).isLessThan(idleBefore); // reset
    assertThat(v2.raw.type(bucket)).isEqualTo("string");
  }

  @Test
  void aWrongTypedQueueKeyFailsTheRecoveryAndWritesNothing() {
    v2.deliver("t-1");
    List<StaleEntry> stale = staleEntries(1);
    v2.breakKey(v2.k.dead(Q));

    v2.assertWrongTypeWritesNothing("recover.lua", v2.k.dead(Q), () -> v2.recovery.recover(Q, stale, LEASE, MAX));
  }

  @Test
  void nothingIsStaleInAQueueWithoutAStream() {
    assertThat(v2.recovery.stale(Q, LEASE, 10)).isEmpty();
  }

  /** The stale entries once {@code n} are past the lease. */
  private List<StaleEntry> staleEntries(int n) {
    return await().atMost(Duration.ofSeconds(5)).until(() -> v2.recovery.stale(Q, LEASE, 10), s -> s.size() == n);
  }

  /** Waits for the one delivery in flight to be past the lease, then recovers it. */
  private Recovered abandon(int maxDeliveries) {
    return v2.recovery.recover(Q, staleEntries(1), LEASE, maxDeliveries);
  }

  private String lock() {
    return v2.k.queuePrefix(Q) + "isolating";
  }
}
