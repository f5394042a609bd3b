package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.ATTEMPT;
import static dev.baton.LayoutV2Fixture.PAYLOAD;
import static dev.baton.LayoutV2Fixture.Q;
import static dev.baton.LayoutV2Fixture.later;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Layout v2's promote.lua through {@code RecoveryV2Scripts} against a real Redis
 * (docs/hot-path-v2.md): a task scheduled at enqueue becomes a plain entry as if enqueued now; a
 * retry becomes an entry carrying its attempt state, and the worker's token rule holds for it; a
 * record without payload is dead-lettered; a member that moved on is only removed.
 */
class LayoutV2PromoteIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String OPTIONS = "{\"to\":60000}";

  private LayoutV2Fixture v2;

  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
  }

  @Test
  void aTaskScheduledAtEnqueueBecomesAPlainEntryAndLosesItsRecord() {
    v2.enqueue(later("t-1", OPTIONS));
    v2.makeDue("t-1");

    assertThat(v2.recovery.promote(Q, List.of("t-1"))).isEqualTo(1);

    List<StreamMessage<String, String>> entries = v2.raw.xrange(v2.k.stream(Q), Range.create("-", "+"));
    assertThat(entries).hasSize(1);
    assertThat(entries.get(0).getBody()).isEqualTo(Map.of("t", "t-1", "p", PAYLOAD, "o", OPTIONS));
    assertThat(v2.index("t-1")).isEqualTo(entries.get(0).getId());
    assertThat(v2.raw.exists(v2.k.task(Q, "t-1"))).isZero();
    assertThat(v2.raw.zcard(v2.k.delayed(Q))).isZero();
    // a first delivery: its token is its entry id
    Held held = LayoutV2Fixture.heldOf(v2.read(A, 1).get(0));
    assertThat(held.token()).isEqualTo(entries.get(0).getId());
    assertThat(v2.succeed(A, "t-1", held.token())).isEqualTo(ScriptStatus.OK);
  }

  @Test
  void aTaskNotDueYetStaysWhereItIs() {
    v2.enqueue(later("t-1", ""));
    Map<String, String> before = v2.snapshot();

    assertThat(v2.recovery.promote(Q, List.of("t-1", "t-9"))).isZero();

    assertThat(v2.snapshot()).isEqualTo(before);
  }

  @Test
  void aRetryBecomesAnEntryWithItsAttemptStateAndKeepsItsRecord() {
    Held first = v2.deliver(A, "t-1", OPTIONS);
    v2.tasks.retry(Q, first, ATTEMPT, 60_000);
    v2.makeDue("t-1");

    assertThat(v2.recovery.promote(Q, List.of("t-1"))).isEqualTo(1);

    StreamMessage<String, String> e = v2.read(A, 1).get(0);
    assertThat(e.getBody()).isEqualTo(Map.of("t", "t-1", "p", PAYLOAD, "o", OPTIONS, "a", "2,1,0,0"));
    assertThat(v2.index("t-1")).isEqualTo("q2,1,0,0," + e.getId());
    assertThat(v2.record("t-1")).containsEntry("st", "queued").containsEntry("hist", "[" + ATTEMPT + "]")
        .containsEntry("att", "1");
    assertThat(v2.raw.zcard(v2.k.delayed(Q))).isZero();
    // the worker's token rule: 'q' + a + ',' + entry id, attempt att + 1
    Held held = LayoutV2Fixture.heldOf(e);
    assertThat(held.token()).isEqualTo(v2.index("t-1"));
    CycleScripts.Reply r = v2.cycle(A, 0, new CycleScripts.Success("t-1", held.token(), LayoutV2Fixture.finished("{}")));
    assertThat(r.statuses()).containsExactly(ScriptStatus.OK);
    assertThat(v2.record("t-1")).containsEntry("st", "succeeded");
    assertThat(v2.raw.pttl(v2.k.task(Q, "t-1"))).isPositive();
  }

  @Test
  void aRecordWithoutPayloadIsDeadLetteredAsMalformed() {
    v2.enqueue(later("t-1", ""));
    v2.raw.hdel(v2.k.task(Q, "t-1"), "p");
    v2.raw.hset(v2.k.stats(Q), "dead", "x"); // a corrupt counter is started again
    v2.makeDue("t-1");

    assertThat(v2.recovery.promote(Q, List.of("t-1"))).isZero();

    assertThat(v2.record("t-1")).containsEntry("st", "dead").containsEntry("why", "malformed task: no payload")
        .containsKey("ft");
    assertThat(v2.raw.zscore(v2.k.dead(Q), "t-1")).isNotNull();
    assertThat(v2.index("t-1")).isEqualTo("x");
    assertThat(v2.stat("dead")).isEqualTo("1");
    assertThat(v2.raw.zcard(v2.k.delayed(Q))).isZero();
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
  }

  @Test
  void aDelayedTaskWithoutARecordIsDeadLetteredNotLeftTakingItsId() {
    v2.enqueue(later("t-1", ""));
    v2.raw.del(v2.k.task(Q, "t-1"));
    v2.makeDue("t-1");

    assertThat(v2.recovery.promote(Q, List.of("t-1"))).isZero();

    assertThat(v2.record("t-1")).containsEntry("id", "t-1").containsEntry("st", "dead")
        .containsEntry("why", "malformed task: no payload");
    assertThat(v2.index("t-1")).isEqualTo("x");
    assertThat(v2.raw.zscore(v2.k.dead(Q), "t-1")).isNotNull();
    assertThat(v2.raw.zcard(v2.k.delayed(Q))).isZero();
  }

  @Test
  void aMemberWhoseTaskMovedOnIsOnlyRemoved() {
    v2.enqueue(later("t-1", ""), later("t-2", ""));
    v2.raw.hset(v2.k.indexBucket(Q, "t-1"), "t-1", "x"); // dead meanwhile
    v2.raw.hdel(v2.k.indexBucket(Q, "t-2"), "t-2"); // cancelled meanwhile
    v2.makeDue("t-1");
    v2.makeDue("t-2");
    Map<String, String> recordOne = v2.record("t-1");
    Map<String, String> recordTwo = v2.record("t-2");

    assertThat(v2.recovery.promote(Q, List.of("t-1", "t-2"))).isZero();

    assertThat(v2.raw.zcard(v2.k.delayed(Q))).isZero();
    assertThat(v2.index("t-1")).isEqualTo("x");
    assertThat(v2.index("t-2")).isNull();
    assertThat(v2.record("t-1")).isEqualTo(recordOne);
    assertThat(v2.record("t-2")).isEqualTo(recordTwo);
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
    assertThat(v2.raw.exists(v2.k.dead(Q))).isZero();
  }

  @Test
  void anIdListedTwiceIsMovedOnce() {
    v2.enqueue(later("t-1", ""));
    v2.makeDue("t-1");

    assertThat(v2.recovery.promote(Q, List.of("t-1", "t-1"))).isEqualTo(1);

    assertThat(v2.raw.xlen(v2.k.stream(Q))).isEqualTo(1);
  }

  @Test
  void aWrongTypedStreamFailsThePromotionAndWritesNothing() {
    v2.enqueue(later("t-1", ""));
    v2.makeDue("t-1");
    v2.breakKey(v2.k.stream(Q));

    v2.assertWrongTypeWritesNothing("promote.lua", v2.k.stream(Q), () -> v2.recovery.promote(Q, List.of("t-1")));
  }

  @Test
  void aWrongTypedIndexBucketFailsThePromotionAndWritesNothing() {
    v2.enqueue(later("t-1", ""), later("t-2", ""));
    v2.makeDue("t-1");
    v2.makeDue("t-2");
    String bucket = v2.k.indexBucket(Q, "t-2");
    v2.breakKey(bucket);

    v2.assertWrongTypeWritesNothing("promote.lua", bucket, () -> v2.recovery.promote(Q, List.of("t-1", "t-2")));
  }
}
