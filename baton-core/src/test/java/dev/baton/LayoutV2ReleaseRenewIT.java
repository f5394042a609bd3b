package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.B;
import static dev.baton.LayoutV2Fixture.PAYLOAD;
import static dev.baton.LayoutV2Fixture.Q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.internal.scripts.TaskV2Scripts.ReleaseKind;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Layout v2's release.lua and renew.lua through {@code TaskV2Scripts} against a real Redis
 * (docs/hot-path-v2.md): a released entry waits under '~released' with the next token, fencing off
 * its old holder, and is claimed back by the next cycle; worker faults are counted and capped; a
 * renewal resets the lease only for the delivery's holder.
 */
class LayoutV2ReleaseRenewIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final int CAP = 2;

  private LayoutV2Fixture v2;

  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
  }

  @Test
  void aReleasedDeliveryWaitsUnderReleasedWithTheNextTokenAndItsHolderIsFencedOff() {
    Held held = v2.deliver("t-1");

    List<ScriptStatus> r = v2.tasks.release(Q, List.of(held), ReleaseKind.PLAIN, CAP);

    assertThat(r).containsExactly(ScriptStatus.OK);
    assertThat(v2.pendingPerConsumer()).containsExactly(Map.entry("~released", 1L));
    assertThat(v2.index("t-1")).isEqualTo("q2,0,0,0," + held.token());
    assertThat(v2.entry(held.token())).containsEntry("p", PAYLOAD); // the entry keeps its place and payload
    assertThat(v2.succeed(A, "t-1", held.token())).isEqualTo(ScriptStatus.NOT_HELD);
    assertThat(v2.raw.exists(v2.k.done(Q, "t-1"))).isZero();
  }

  @Test
  void aReleasedEntryIsClaimedBackByTheNextCycleAheadOfNewEntries() {
    Held held = v2.deliver("t-1");
    v2.enqueue(LayoutV2Fixture.now("t-2", ""));
    v2.tasks.release(Q, List.of(held), ReleaseKind.PLAIN, CAP);

    CycleScripts.Reply claim = v2.cycle(B, 10);

    assertThat(claim.claimed()).hasSize(1);
    CycleScripts.Claimed c = claim.claimed().get(0);
    assertThat(c.id()).isEqualTo("t-1");
    assertThat(c.token()).isEqualTo("q3,0,0,0," + held.token());
    assertThat(c.attempt()).isEqualTo(1);
    assertThat(c.payloadJson()).isEqualTo(PAYLOAD);
    assertThat(v2.pendingPerConsumer()).containsExactly(Map.entry(B, 1L));
    assertThat(v2.read(B, 1).get(0).getBody()).containsEntry("t", "t-2"); // the new entry comes after
    assertThat(v2.succeed(B, "t-1", c.token())).isEqualTo(ScriptStatus.OK);
  }

  @Test
  void aWorkerFaultIsCountedUntilTheCapThenRefusedWithoutWriting() {
    Held held = v2.deliver("t-1");
    String eid = held.token();
    for (int fault = 1; fault <= CAP; fault++) {
      assertThat(v2.tasks.release(Q, List.of(held), ReleaseKind.WORKER_FAULT, CAP)).containsExactly(ScriptStatus.OK);
      assertThat(v2.index("t-1")).isEqualTo("q" + (2 * fault) + ",0,0," + fault + "," + eid);
      CycleScripts.Claimed c = v2.cycle(A, 10).claimed().get(0);
      assertThat(c.token()).isEqualTo("q" + (2 * fault + 1) + ",0,0," + fault + "," + eid);
      held = new Held("t-1", c.token());
    }
    Map<String, String> before = v2.snapshot();

    List<ScriptStatus> past = v2.tasks.release(Q, List.of(held), ReleaseKind.WORKER_FAULT, CAP);

    assertThat(past).containsExactly(ScriptStatus.UNCHANGED);
    assertThat(v2.snapshot()).isEqualTo(before);
    // a plain release is never capped
    assertThat(v2.tasks.release(Q, List.of(held), ReleaseKind.PLAIN, CAP)).containsExactly(ScriptStatus.OK);
    assertThat(v2.index("t-1")).isEqualTo("q6,0,0," + CAP + "," + eid);
  }

  @Test
  void eachTaskOfACallIsFencedOnItsOwnAndAStaleOrRepeatedOneWritesNothing() {
    Held one = v2.deliver("t-1");
    Held two = v2.deliver("t-2");

    List<ScriptStatus> r = v2.tasks.release(Q, List.of(one, new Held("t-2", "1-1"), one), ReleaseKind.PLAIN, CAP);

    assertThat(r).containsExactly(ScriptStatus.OK, ScriptStatus.NOT_HELD, ScriptStatus.NOT_HELD);
    assertThat(v2.index("t-1")).isEqualTo("q2,0,0,0," + one.token());
    assertThat(v2.index("t-2")).isEqualTo(two.token());
    assertThat(v2.pendingPerConsumer()).containsOnly(Map.entry("~released", 1L), Map.entry(A, 1L));
    assertThat(v2.tasks.release(Q, List.of(one), ReleaseKind.PLAIN, CAP)).containsExactly(ScriptStatus.NOT_HELD);
  }

  @Test
  void aWrongTypedIndexBucketFailsTheReleaseAndWritesNothing() {
    Held one = v2.deliver("t-1");
    Held two = v2.deliver("t-2");
    String bucket = v2.k.indexBucket(Q, "t-2");
    if (bucket.equals(v2.k.indexBucket(Q, "t-1"))) {
      throw new IllegalStateException("t-1 and t-2 share a bucket: pick other ids");
    }
    v2.breakKey(bucket);

    v2.assertWrongTypeWritesNothing("release.lua", bucket,
        () -> v2.tasks.release(Q, List.of(one, two), ReleaseKind.PLAIN, CAP));
  }

  // ---- renew ------------------------------------------------------------------------------------

  @Test
  void aRenewalByTheHolderResetsTheIdleTime() {
    Held held = v2.deliver("t-1");
    await().atMost(Duration.ofSeconds(5)).until(() -> v2.pending(held.token()).getMsSinceLastDelivery() >= 200);
    long idleBefore = v2.pending(held.token()).getMsSinceLastDelivery();

    List<ScriptStatus> r = v2.tasks.renew(Q, A, List.of(held));

    assertThat(r).containsExactly(ScriptStatus.OK);
    assertThat(v2.pending(held.token()).getMsSinceLastDelivery()).isLessThan(idleBefore); // idle time only grows unless reset
    assertThat(v2.pending(held.token()).getConsumer()).isEqualTo(A);
    assertThat(v2.index("t-1")).isEqualTo(held.token()); // the token does not change
  }

  @Test
  void aClaimedDeliveryIsRenewedWithItsClaimedToken() {
    Held held = v2.deliver("t-1");
    v2.tasks.release(Q, List.of(held), ReleaseKind.PLAIN, CAP);
    CycleScripts.Claimed c = v2.cycle(B, 1).claimed().get(0);

    assertThat(v2.tasks.renew(Q, B, List.of(new Held("t-1", c.token())))).containsExactly(ScriptStatus.OK);
    assertThat(v2.tasks.renew(Q, A, List.of(held))).containsExactly(ScriptStatus.NOT_HELD);
  }

  @Test
  void aReleasedOrMisTokenedDeliveryIsNotRenewedAndNothingIsWritten() {
    Held released = v2.deliver("t-1");
    Held wrong = new Held("t-2", "q2,0,0,0," + v2.deliver("t-2").token());
    v2.tasks.release(Q, List.of(released), ReleaseKind.PLAIN, CAP);
    Map<String, String> before = v2.snapshot();

    List<ScriptStatus> r = v2.tasks.renew(Q, A, List.of(released, wrong, new Held("t-9", "1-1")));

    assertThat(r).containsExactly(ScriptStatus.NOT_HELD, ScriptStatus.NOT_HELD, ScriptStatus.NOT_HELD);
    assertThat(v2.snapshot()).isEqualTo(before);
    assertThat(v2.pendingPerConsumer()).containsOnly(Map.entry("~released", 1L), Map.entry(A, 1L));
  }

  @Test
  void anEntryPendingUnderAnotherConsumerIsNotTakenByARenewal() {
    Held held = v2.deliver("t-1");
    v2.raw.xclaim(v2.k.stream(Q), Consumer.from(Keys.GROUP, B), 0, held.token()); // the token still matches
    Map<String, String> before = v2.snapshot();

    List<ScriptStatus> r = v2.tasks.renew(Q, A, List.of(held));

    assertThat(r).containsExactly(ScriptStatus.NOT_HELD);
    assertThat(v2.snapshot()).isEqualTo(before);
    assertThat(v2.pending(held.token()).getConsumer()).isEqualTo(B);
  }

  @Test
  void aWrongTypedStreamFailsTheRenewalAndWritesNothing() {
    Held held = v2.deliver("t-1");
    v2.breakKey(v2.k.stream(Q));

    v2.assertWrongTypeWritesNothing("renew.lua", v2.k.stream(Q), () -> v2.tasks.renew(Q, A, List.of(held)));
  }
}
