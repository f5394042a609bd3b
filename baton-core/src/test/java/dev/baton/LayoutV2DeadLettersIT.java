package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.ATTEMPT;
import static dev.baton.LayoutV2Fixture.PAYLOAD;
import static dev.baton.LayoutV2Fixture.Q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.internal.scripts.DeadLetterV2Scripts;
import dev.baton.internal.scripts.EnqueueScripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.internal.server.Janitor;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Dead letters on layout 2 (docs/hot-path-v2.md): the Inspector lists them readably (options from
 * the record's {@code o}), replays them through v2/replay.lua (back to the stream with a fresh
 * attempt budget, under a token the next delivery's outcome is fenced on) and purges them through
 * v2/purge.lua (record, dead member and index field, so the id is free again); the janitor keeps the
 * dead-letter cap with the same purge; wrong-typed keys and corrupt counters.
 */
class LayoutV2DeadLettersIT {
  @RegisterExtension static final Layout2Extension layout2 = new Layout2Extension();
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String OPTIONS = "{\"max\":5,\"h\":{\"trace\":\"abc\"}}";

  private LayoutV2Fixture v2;
  private DeadLetterV2Scripts scripts;
  private Inspector inspector;



  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
    scripts = new DeadLetterV2Scripts(redis.client().broker());
    inspector = redis.client().inspector();
  }

  /** Delivers {@code id} and dead-letters it on its first attempt. */
  private Held dead(String id, String options) {
    Held held = v2.deliver(A, id, options);
    assertThat(v2.tasks.deadLetter(Q, held, ATTEMPT, "gave up").status()).isEqualTo(ScriptStatus.OK);
    assertThat(v2.index(id)).isEqualTo("x");
    return held;
  }

  @Test
  void aDeadLetterIsListedReadablyWithItsOptionsFromTheRecord() {
    dead("t-1", OPTIONS);
    dead("t-2", "");

    List<TaskInfo> listed = inspector.deadLetters(Q, 0, 10);

    assertThat(listed).extracting(TaskInfo::id).containsExactly("t-1", "t-2");
    TaskInfo t = listed.get(0);
    assertThat(t.malformed()).isNull();
    assertThat(t.agentType()).isEqualTo(Q);
    assertThat(t.state()).isEqualTo(TaskState.DEAD);
    assertThat(t.attempts()).isEqualTo(1);
    assertThat(t.maxAttempts()).isEqualTo(5);
    assertThat(t.deliveries()).isEqualTo(1);
    assertThat(t.headers()).containsEntry("trace", "abc");
    assertThat(t.payloadJson()).isEqualTo(PAYLOAD);
    assertThat(t.deadReason()).isEqualTo("gave up");
    assertThat(t.finishedAt()).isNotNull();
    assertThat(t.createdAt()).isNotNull();
    assertThat(listed.get(1).maxAttempts()).isEqualTo(3); // the default, no options
    assertThat(inspector.deadLetterCount(Q)).isEqualTo(2);
  }

  @Test
  void aReplayedDeadLetterGoesBackToTheStreamWithAFreshBudgetAndItsHistory() {
    dead("t-1", OPTIONS);

    assertThat(inspector.replay(Q, "t-1")).isTrue();

    StreamMessage<String, String> e = v2.read(A, 1).get(0);
    assertThat(e.getBody()).containsEntry("t", "t-1").containsEntry("p", PAYLOAD).containsEntry("o", OPTIONS)
        .containsEntry("a", "2,0,0,0");
    assertThat(v2.index("t-1")).isEqualTo("q2,0,0,0," + e.getId());
    Map<String, String> rec = v2.record("t-1");
    assertThat(rec).containsEntry("st", "queued").containsEntry("att", "0").containsEntry("flt", "0")
        .doesNotContainKeys("why", "ft");
    assertThat(rec.get("hist")).contains("boom");
    assertThat(v2.raw.zcard(v2.k.dead(Q))).isZero();
    assertThat(v2.stat("replayed")).isEqualTo("1");
    assertThat(inspector.replay(Q, "t-1")).isFalse(); // no longer dead

    // the next delivery fails under the token of the entry: attempt 1 of a fresh budget, history kept
    Held next = LayoutV2Fixture.heldOf(e);
    assertThat(v2.tasks.retry(Q, next, "{\"n\":2,\"err\":\"again\"}", 60_000).status()).isEqualTo(ScriptStatus.OK);
    assertThat(v2.record("t-1")).containsEntry("att", "1").containsEntry("dn", "2")
        .hasEntrySatisfying("hist", h -> assertThat(h).contains("boom").contains("again"));
  }

  @Test
  void replayRefusesAnUnknownTaskATombstoneAndALivingTask() {
    assertThatThrownBy(() -> inspector.replay(Q, "nope")).isInstanceOf(TaskNotFoundException.class);

    Held lost = v2.deliver(A, "t-1", "");
    v2.raw.xdel(v2.k.stream(Q), lost.token()); // its payload is gone: dead-lettered without one
    v2.tasks.deadLetter(Q, lost, ATTEMPT, "gave up");
    assertThat(scripts.replayStatus(Q, "t-1")).isEqualTo(ScriptStatus.TOMBSTONE);
    assertThatThrownBy(() -> inspector.replay(Q, "t-1")).isInstanceOf(BatonException.class);

    v2.enqueue(LayoutV2Fixture.now("t-2", ""));
    assertThat(scripts.replayStatus(Q, "t-2")).isEqualTo(ScriptStatus.WRONG_STATE);
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isEqualTo(1);
  }

  @Test
  void replayAllReplaysEveryDeadLetterAndSkipsTombstones() {
    dead("t-1", "");
    dead("t-2", "");
    Held lost = v2.deliver(A, "t-3", "");
    v2.raw.xdel(v2.k.stream(Q), lost.token());
    v2.tasks.deadLetter(Q, lost, ATTEMPT, "gave up");

    assertThat(inspector.replayAll(Q)).isEqualTo(2);
    assertThat(v2.index("t-1")).startsWith("q2,0,0,0,");
    assertThat(v2.index("t-2")).startsWith("q2,0,0,0,");
    assertThat(v2.raw.zrange(v2.k.dead(Q), 0, -1)).containsExactly("t-3");
  }

  @Test
  void aPurgedDeadLetterLeavesNothingAndItsIdCanBeUsedAgain() {
    dead("t-1", "");
    dead("t-2", "");
    dead("t-3", "");

    assertThat(inspector.purge(Q, "t-1")).isTrue();
    assertThat(inspector.purge(Q, "t-1")).isFalse();
    assertThat(v2.index("t-1")).isNull();
    assertThat(v2.record("t-1")).isEmpty();
    assertThat(inspector.purgeAll(Q)).isEqualTo(2);
    assertThat(v2.raw.keys(redis.prefix() + ":{" + Q + "}:ix:*")).isEmpty();
    assertThat(v2.raw.keys(redis.prefix() + ":{" + Q + "}:task:*")).isEmpty();
    assertThat(v2.raw.zcard(v2.k.dead(Q))).isZero();

    EnqueueScripts.Replies again = v2.enqueue(LayoutV2Fixture.now("t-1", ""));
    assertThat(again.status(0)).isEqualTo(ScriptStatus.OK);
  }

  @Test
  void aDeadMemberLeftBehindByALivingTaskLosesOnlyItsMember() {
    v2.enqueue(LayoutV2Fixture.now("t-1", ""));
    v2.raw.zadd(v2.k.dead(Q), 1, "t-1"); // written outside Baton

    assertThat(scripts.purge(Q, List.of("t-1"))).isEqualTo(1);
    assertThat(v2.index("t-1")).isNotNull();
    assertThat(v2.raw.zcard(v2.k.dead(Q))).isZero();
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isEqualTo(1);
  }

  @Test
  void theJanitorKeepsTheDeadLetterCapByPurgingTheOldest() throws Exception {
    for (int i = 1; i <= 5; i++) {
      dead("t-" + i, "");
      Thread.sleep(2); // distinct death times
    }
    Janitor janitor = new Janitor(redis.client().broker(), List.of(Q), 2, Duration.ofSeconds(30), "janitor",
        Duration.ofHours(1));

    janitor.runOnce();

    assertThat(v2.raw.zrange(v2.k.dead(Q), 0, -1)).containsExactly("t-4", "t-5");
    for (String id : List.of("t-1", "t-2", "t-3")) {
      assertThat(v2.index(id)).isNull();
      assertThat(v2.record(id)).isEmpty();
    }
    assertThat(v2.index("t-5")).isEqualTo("x");
  }

  @Test
  void aCorruptReplayedCounterIsStartedAgain() {
    dead("t-1", "");
    v2.raw.hset(v2.k.stats(Q), "replayed", "many");

    assertThat(inspector.replay(Q, "t-1")).isTrue();
    assertThat(v2.stat("replayed")).isEqualTo("1");
  }

  @Test
  void aReplayIntoAStreamThatWasDeletedCreatesItWithItsGroupAndMarker() {
    dead("t-1", "");
    v2.raw.del(v2.k.stream(Q), v2.k.layout(Q));

    assertThat(inspector.replay(Q, "t-1")).isTrue();
    assertThat(v2.raw.get(v2.k.layout(Q))).isEqualTo("2");
    assertThat(v2.read(A, 1).get(0).getBody()).containsEntry("t", "t-1");
  }

  @Test
  void aWrongTypedKeyFailsReplayAndPurgeAndWritesNothing() {
    for (String key : List.of(v2.k.stream(Q), v2.k.dead(Q), v2.k.stats(Q), v2.k.indexBucket(Q, "t-1"),
        v2.k.task(Q, "t-1"))) {
      clear();
      dead("t-1", "");
      v2.breakKey(key);
      v2.assertWrongTypeWritesNothing("replay", key, () -> scripts.replayStatus(Q, "t-1"));
    }
    for (String key : List.of(v2.k.dead(Q), v2.k.indexBucket(Q, "t-1"))) {
      clear();
      dead("t-1", "");
      v2.breakKey(key);
      if (key.equals(v2.k.indexBucket(Q, "t-1"))) {
        v2.raw.zadd(v2.k.dead(Q), 1, "t-1"); // the bucket is read only for a dead member
      }
      v2.assertWrongTypeWritesNothing("purge", key, () -> scripts.purge(Q, List.of("t-1")));
    }
  }

  /** Deletes every key of the test's prefix. */
  private void clear() {
    List<String> keys = v2.raw.keys(redis.prefix() + ":*");
    if (!keys.isEmpty()) {
      v2.raw.del(keys.toArray(String[]::new));
    }
  }
}
