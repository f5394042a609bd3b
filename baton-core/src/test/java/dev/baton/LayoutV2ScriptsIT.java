package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.B;
import static dev.baton.LayoutV2Fixture.PAYLOAD;
import static dev.baton.LayoutV2Fixture.Q;
import static dev.baton.LayoutV2Fixture.WINDOW;
import static dev.baton.LayoutV2Fixture.finished;
import static dev.baton.LayoutV2Fixture.now;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.EnqueueScripts;
import dev.baton.internal.scripts.EnqueueV2Scripts.NewTask;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.WrongKeyTypeException;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Layout v2's hot-path scripts (docs/hot-path-v2.md), driven through their gateways against a real
 * Redis: what enqueue writes for a task due now and later, idempotency on the id and the dedup key,
 * the layout marker, the script rules (a wrong-typed key changes nothing; a corrupt counter does not
 * stop a task), and the cycle's fenced success and its claims of released entries.
 */
class LayoutV2ScriptsIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private LayoutV2Fixture v2;
  private Keys k;
  private RedisCommands<String, String> raw;

  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
    k = v2.k;
    raw = v2.raw;
  }

  @Test
  void aTaskDueNowIsOneEntryWithItsPayloadAndAnIndexFieldHoldingTheEntryId() {
    EnqueueScripts.Replies r = enqueue(now("t-1", ""));

    assertThat(r.status(0)).isEqualTo(ScriptStatus.OK);
    assertThat(r.state(0)).isEqualTo("queued");
    List<StreamMessage<String, String>> entries = raw.xrange(k.stream(Q), Range.create("-", "+"));
    assertThat(entries).hasSize(1);
    assertThat(entries.get(0).getBody()).isEqualTo(Map.of("t", "t-1", "p", PAYLOAD));
    assertThat(raw.hget(k.indexBucket(Q, "t-1"), "t-1")).isEqualTo(entries.get(0).getId());
    assertThat(raw.exists(k.task(Q, "t-1"))).isZero();
    assertThat(raw.get(k.layout(Q))).isEqualTo("2");
    assertThat(raw.hget(k.stats(Q), "enqueued")).isEqualTo("1");
  }

  @Test
  void optionsGoIntoTheEntryOnlyWhenATaskHasSome() {
    enqueue(now("t-1", "{\"max\":5}"), now("t-2", ""));

    List<StreamMessage<String, String>> entries = raw.xrange(k.stream(Q), Range.create("-", "+"));
    assertThat(entries.get(0).getBody()).containsEntry("o", "{\"max\":5}");
    assertThat(entries.get(1).getBody()).doesNotContainKey("o");
  }

  @Test
  void aTaskDueLaterIsARecordAndADelayedMemberAndItsIndexSaysSo() {
    EnqueueScripts.Replies r = enqueue(new NewTask("t-1", PAYLOAD, "{\"to\":60000}", 30_000, 0, ""));

    assertThat(r.state(0)).isEqualTo("scheduled");
    assertThat(raw.xlen(k.stream(Q))).isZero();
    assertThat(raw.hget(k.indexBucket(Q, "t-1"), "t-1")).isEqualTo("d");
    Map<String, String> rec = raw.hgetall(k.task(Q, "t-1"));
    assertThat(rec).containsEntry("st", "scheduled").containsEntry("p", PAYLOAD).containsEntry("o", "{\"to\":60000}");
    assertThat(Long.parseLong(rec.get("sa")) - Long.parseLong(rec.get("ct"))).isEqualTo(30_000);
    assertThat(raw.zscore(k.delayed(Q), "t-1")).isEqualTo(Double.parseDouble(rec.get("sa")));
  }

  @Test
  void anIdIsTakenWhileItsTaskWaitsRunsOrIsRetainedAndADedupKeyWhileItsHolds() {
    enqueue(now("t-1", ""));
    EnqueueScripts.Replies again = enqueue(now("t-1", ""), new NewTask("t-2", PAYLOAD, "", 0, 0, "inv-7"),
        new NewTask("t-3", PAYLOAD, "", 0, 0, "inv-7"), now("t-2", ""));

    assertThat(again.status(0)).isEqualTo(ScriptStatus.EXISTS);
    assertThat(again.state(0)).isEqualTo("queued");
    assertThat(again.status(1)).isEqualTo(ScriptStatus.OK);
    assertThat(again.status(2)).isEqualTo(ScriptStatus.DUPLICATE);
    assertThat(again.id(2)).isEqualTo("t-2");
    assertThat(again.status(3)).isEqualTo(ScriptStatus.EXISTS); // the same id earlier in the same call
    assertThat(raw.xlen(k.stream(Q))).isEqualTo(2);
    assertThat(raw.get(k.dedup(Q, "inv-7"))).isEqualTo("t-2");

    StreamMessage<String, String> e = read(A, 1).get(0);
    CycleScripts.Reply done = cycle(A, 0, new CycleScripts.Success("t-1", e.getId(), finished("{}")));
    assertThat(done.statuses()).containsExactly(ScriptStatus.OK);
    EnqueueScripts.Replies afterFinish = enqueue(now("t-1", ""));
    assertThat(afterFinish.status(0)).isEqualTo(ScriptStatus.EXISTS);
    assertThat(afterFinish.state(0)).isEqualTo("succeeded");
  }

  @Test
  void aQueueWrittenInTheOldLayoutIsRefusedAndNothingIsWritten() {
    raw.xadd(k.stream(Q), "t", "old-task"); // a layout-1 stream: no marker
    Map<String, String> before = snapshot();

    Throwable thrown = catchThrowable(() -> enqueue(now("t-1", "")));

    assertThat(thrown).hasMessageContaining("LAYOUT").hasMessageContaining("layout 1, not 2");
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void aWrongTypedIndexBucketFailsTheCallAndChangesNothing() {
    enqueue(now("t-0", ""));
    raw.set(k.indexBucket(Q, "t-1"), "not a hash");
    Map<String, String> before = snapshot();

    Throwable thrown = catchThrowable(() -> enqueue(now("t-2", ""), now("t-1", "")));

    assertThat(thrown).isInstanceOf(WrongKeyTypeException.class).hasMessageContaining("enqueue.lua")
        .hasMessageContaining(k.indexBucket(Q, "t-1"));
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void aCounterThatIsNotAnIntegerDoesNotStopATaskAndIsStartedAgain() {
    enqueue(now("t-0", ""));
    raw.hset(k.stats(Q), "enqueued", "x");

    EnqueueScripts.Replies r = enqueue(now("t-1", ""), now("t-2", ""));

    assertThat(r.status(0)).isEqualTo(ScriptStatus.OK);
    assertThat(r.status(1)).isEqualTo(ScriptStatus.OK);
    assertThat(raw.hget(k.stats(Q), "enqueued")).isEqualTo("2");
  }

  @Test
  void aSuccessIsFencedOnItsTokenAndWrittenOnceAsAFinishedValueWithTheRetention() {
    enqueue(now("t-1", ""), now("t-2", ""));
    List<StreamMessage<String, String>> got = read(A, 2);
    String value = finished("{\"ok\":true}");

    CycleScripts.Reply r = cycle(A, 0, new CycleScripts.Success("t-1", got.get(0).getId(), value),
        new CycleScripts.Success("t-2", "1-1", value), new CycleScripts.Success("t-9", "1-2", value));

    assertThat(r.statuses()).containsExactly(ScriptStatus.OK, ScriptStatus.NOT_HELD, ScriptStatus.NOT_FOUND);
    assertThat(r.states()).containsExactly("", "queued", "");
    assertThat(raw.get(k.done(Q, "t-1"))).isEqualTo(value);
    assertThat(raw.pttl(k.done(Q, "t-1"))).isBetween(WINDOW - 60_000, WINDOW);
    assertThat(raw.hexists(k.indexBucket(Q, "t-1"), "t-1")).isFalse();
    assertThat(raw.hget(k.indexBucket(Q, "t-2"), "t-2")).isEqualTo(got.get(1).getId()); // refused: untouched
    assertThat(raw.exists(k.done(Q, "t-2"))).isZero();
    assertThat(raw.xlen(k.stream(Q))).isEqualTo(1);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isEqualTo(1);
    assertThat(raw.hget(k.stats(Q), "succeeded")).isEqualTo("1");
  }

  @Test
  void aReleasedEntryIsClaimedAheadWithANewTokenThatFencesOffItsOldHolder() {
    enqueue(now("t-1", ""), now("t-2", ""));
    String eid = read(A, 1).get(0).getId();
    // what release.lua will do: hand the entry to ~released, fencing the holder off
    raw.xclaim(k.stream(Q), Consumer.from(Keys.GROUP, "~released"), 0, eid);
    raw.hset(k.indexBucket(Q, "t-1"), "t-1", "q2,0,0,0," + eid);

    CycleScripts.Reply claim = cycle(B, 10);

    assertThat(claim.claimed()).hasSize(1);
    CycleScripts.Claimed c = claim.claimed().get(0);
    assertThat(c.id()).isEqualTo("t-1");
    assertThat(c.entryId()).isEqualTo(eid);
    assertThat(c.token()).isEqualTo("q3,0,0,0," + eid);
    assertThat(c.attempt()).isEqualTo(1);
    assertThat(c.payloadJson()).isEqualTo(PAYLOAD);
    assertThat(c.optionsJson()).isEmpty();
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getConsumerMessageCount()).containsEntry(B, 1L)
        .doesNotContainKey("~released");

    String value = finished("{}");
    CycleScripts.Reply old = cycle(A, 0, new CycleScripts.Success("t-1", eid, value));
    assertThat(old.statuses()).containsExactly(ScriptStatus.NOT_HELD);
    CycleScripts.Reply mine = cycle(B, 0, new CycleScripts.Success("t-1", c.token(), value));
    assertThat(mine.statuses()).containsExactly(ScriptStatus.OK);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.get(k.done(Q, "t-1"))).isEqualTo(value);
  }

  @Test
  void aClaimableEntryWhoseTaskIsNoLongerIndexedIsAcknowledgedNotHandedOut() {
    enqueue(now("t-1", ""));
    String eid = read(A, 1).get(0).getId();
    raw.xclaim(k.stream(Q), Consumer.from(Keys.GROUP, "~recovered"), 0, eid);
    raw.hdel(k.indexBucket(Q, "t-1"), "t-1"); // finished or cancelled meanwhile

    CycleScripts.Reply r = cycle(B, 10);

    assertThat(r.claimed()).isEmpty();
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xlen(k.stream(Q))).isZero();
  }

  @Test
  void aWrongTypedStreamFailsTheCycleAndChangesNothing() {
    enqueue(now("t-1", ""));
    String eid = read(A, 1).get(0).getId();
    raw.rename(k.stream(Q), k.stream(Q) + "-moved");
    raw.set(k.stream(Q), "not a stream");
    Map<String, String> before = snapshot();

    Throwable thrown = catchThrowable(() -> cycle(A, 10, new CycleScripts.Success("t-1", eid, finished("{}"))));

    assertThat(thrown).isInstanceOf(WrongKeyTypeException.class).hasMessageContaining("cycle.lua");
    assertThat(snapshot()).isEqualTo(before);
  }

  private EnqueueScripts.Replies enqueue(NewTask... tasks) {
    return v2.enqueue(tasks);
  }

  private CycleScripts.Reply cycle(String consumer, int claimMax, CycleScripts.Success... successes) {
    return v2.cycle(consumer, claimMax, successes);
  }

  private List<StreamMessage<String, String>> read(String consumer, int count) {
    return v2.read(consumer, count);
  }

  private Map<String, String> snapshot() {
    return v2.snapshot();
  }
}
