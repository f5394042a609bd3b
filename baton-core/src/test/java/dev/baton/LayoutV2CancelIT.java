package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.B;
import static dev.baton.LayoutV2Fixture.ATTEMPT;
import static dev.baton.LayoutV2Fixture.Q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.scripts.ClientV2Scripts;
import dev.baton.internal.scripts.ClientV2Scripts.Cancel;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.RecoveryV2Scripts.StaleEntry;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.internal.scripts.TaskV2Scripts.ReleaseKind;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cancellation on layout 2 (v2/cancel.lua through {@code ClientV2Scripts} and {@code
 * Dispatcher.cancel}, docs/hot-path-v2.md), selected with {@code baton.layout=2}: a waiting task's
 * entry is deleted (acknowledged first when it waits under a reserved consumer) and its old holder
 * fenced off; scheduled, retrying and parked tasks leave their sets; a running task is left alone,
 * as on layout 1; dead and finished tasks are refused; a key of the wrong type changes nothing.
 */
class LayoutV2CancelIT {
  @RegisterExtension static final Layout2Extension layout2 = new Layout2Extension();
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final long RETENTION = 604_800_000L;

  private LayoutV2Fixture v2;
  private ClientV2Scripts client;



  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
    client = new ClientV2Scripts(v2.baton.broker());
  }

  private Cancel cancel(String id) {
    return client.cancel(Q, id, RETENTION);
  }

  /** The task ended cancelled: no index field, a cancelled finished value with the retention. */
  private void assertCancelled(String id, int attempts) {
    assertThat(v2.index(id)).isNull();
    assertThat(v2.raw.get(v2.k.done(Q, id))).matches("c,\\d+," + attempts + ",\\|");
    assertThat(v2.raw.pttl(v2.k.done(Q, id))).isPositive();
    assertThat(v2.baton.inspector().task(Q, id).orElseThrow().state()).isEqualTo(TaskState.CANCELLED);
  }

  /** Nothing left to read or claim for any worker. */
  private void assertNothingToRun() {
    assertThat(v2.raw.xreadgroup(Consumer.from(Keys.GROUP, B), XReadArgs.Builder.count(10),
        XReadArgs.StreamOffset.lastConsumed(v2.k.stream(Q)))).isEmpty();
    assertThat(v2.cycle(B, 10).claimed()).isEmpty();
  }

  @Test
  void aQueuedTaskLosesItsEntryAndEndsCancelledAndNotified() throws Exception {
    v2.enqueue(LayoutV2Fixture.now("t-1", ""));
    BlockingQueue<String> published = v2.subscribe(v2.k.finishedChannel(Q));

    Cancel c = cancel("t-1");

    assertThat(c.status()).isEqualTo(ScriptStatus.OK);
    assertThat(c.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(c.unnotified()).isNull();
    assertCancelled("t-1", 0);
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
    assertThat(v2.stat("cancelled")).isEqualTo("1");
    assertThat(v2.raw.exists(v2.k.task(Q, "t-1"))).isZero(); // no record was made for it
    assertThat(published.poll(5, TimeUnit.SECONDS)).isEqualTo("t-1");
    assertNothingToRun();
    // the id stays taken while the finished value is kept
    assertThat(v2.enqueue(LayoutV2Fixture.now("t-1", "")).status(0)).isEqualTo(ScriptStatus.EXISTS);
  }

  @Test
  void aRunningTaskIsLeftAloneAndItsHolderFinishesIt() {
    Held held = v2.deliver("t-1");
    Map<String, String> before = v2.snapshot();

    Cancel c = cancel("t-1");

    assertThat(c.status()).isEqualTo(ScriptStatus.WRONG_STATE);
    assertThat(c.state()).isEqualTo(TaskState.RUNNING);
    assertThat(v2.snapshot()).isEqualTo(before);
    assertThat(v2.tasks.renew(Q, A, List.of(held))).containsExactly(ScriptStatus.OK);
    assertThat(v2.succeed(A, "t-1", held.token())).isEqualTo(ScriptStatus.OK);
  }

  @Test
  void aReleasedTaskIsCancelledAndItsOldHolderIsRefused() {
    Held held = v2.deliver("t-1");
    v2.tasks.release(Q, List.of(held), ReleaseKind.PLAIN, 2);

    assertThat(cancel("t-1").status()).isEqualTo(ScriptStatus.OK);

    assertCancelled("t-1", 0);
    assertThat(v2.pendingPerConsumer()).isEmpty(); // acknowledged under ~released
    assertThat(v2.entry(held.token())).isNull();
    assertThat(v2.succeed(A, "t-1", held.token())).isEqualTo(ScriptStatus.NOT_FOUND);
    assertNothingToRun();
  }

  @Test
  void aRecoveredTaskIsCancelledAndTheVanishedHoldersHeartbeatAndOutcomeAreRefused() {
    Held held = v2.deliver("t-1");
    v2.recovery.recover(Q, List.of(new StaleEntry(held.token(), "t-1")), 0, 5);
    assertThat(v2.pendingPerConsumer()).containsExactly(Map.entry("~recovered", 1L));

    assertThat(cancel("t-1").status()).isEqualTo(ScriptStatus.OK);

    assertCancelled("t-1", 0);
    assertThat(v2.pendingPerConsumer()).isEmpty();
    assertThat(v2.tasks.renew(Q, A, List.of(held))).containsExactly(ScriptStatus.NOT_HELD);
    assertThat(v2.succeed(A, "t-1", held.token())).isEqualTo(ScriptStatus.NOT_FOUND);
    assertNothingToRun();
  }

  @Test
  void aPromotedRetryWaitingInTheStreamIsCancelledAndItsRecordKeptWithTheRetention() {
    Held first = v2.deliver("t-1");
    v2.tasks.retry(Q, first, ATTEMPT, 0);
    v2.makeDue("t-1");
    v2.recovery.promote(Q, List.of("t-1"));
    assertThat(v2.index("t-1")).startsWith("q2,1,");

    assertThat(cancel("t-1").status()).isEqualTo(ScriptStatus.OK);

    assertCancelled("t-1", 1);
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
    assertThat(v2.record("t-1")).containsEntry("st", "cancelled").containsKey("ft").containsKey("hist");
    assertThat(v2.raw.pttl(v2.k.task(Q, "t-1"))).isPositive();
    assertNothingToRun();
  }

  @Test
  void scheduledAndRetryingTasksLeaveTheDelayedSetAndAreNeverPromoted() {
    v2.enqueue(LayoutV2Fixture.later("t-s", ""));
    v2.tasks.retry(Q, v2.deliver("t-r"), ATTEMPT, 60_000);

    assertThat(cancel("t-s").status()).isEqualTo(ScriptStatus.OK);
    assertThat(cancel("t-r").status()).isEqualTo(ScriptStatus.OK);

    assertCancelled("t-s", 0);
    assertCancelled("t-r", 1);
    assertThat(v2.raw.zcard(v2.k.delayed(Q))).isZero();
    assertThat(v2.record("t-s")).containsEntry("st", "cancelled");
    assertThat(v2.raw.pttl(v2.k.task(Q, "t-s"))).isPositive();
    assertThat(v2.record("t-r")).containsEntry("st", "cancelled");
    assertThat(v2.stat("cancelled")).isEqualTo("2");
    assertThat(v2.recovery.promote(Q, List.of("t-s", "t-r"))).isZero();
    assertNothingToRun();
  }

  @Test
  void aParkedTaskLeavesTheParkedSetAndItsDependencysCount() {
    v2.tasks.park(Q, v2.deliver("t-1"), "db", "down", 60_000, "unavailable");
    v2.tasks.park(Q, v2.deliver("t-2"), "db", "down", 60_000, "unavailable");
    assertThat(v2.raw.hget(v2.k.parking(Q), "n:db")).isEqualTo("2");

    assertThat(cancel("t-1").status()).isEqualTo(ScriptStatus.OK);

    assertCancelled("t-1", 0);
    assertThat(v2.raw.zrange(v2.k.parked(Q), 0, -1)).containsExactly("t-2");
    assertThat(v2.raw.hget(v2.k.parking(Q), "n:db")).isEqualTo("1");
    assertThat(v2.record("t-1")).containsEntry("st", "cancelled");
  }

  @Test
  void deadAndFinishedTasksAreRefusedWithoutWriting() {
    v2.tasks.deadLetter(Q, v2.deliver("t-d"), ATTEMPT, "no");
    Held ok = v2.deliver("t-s");
    v2.succeed(A, "t-s", ok.token());
    v2.enqueue(LayoutV2Fixture.now("t-c", ""));
    cancel("t-c");
    Map<String, String> before = v2.snapshot();

    assertThat(cancel("t-d")).isEqualTo(new Cancel(ScriptStatus.WRONG_STATE, TaskState.DEAD, null));
    assertThat(cancel("t-s")).isEqualTo(new Cancel(ScriptStatus.WRONG_STATE, TaskState.SUCCEEDED, null));
    assertThat(cancel("t-c")).isEqualTo(new Cancel(ScriptStatus.WRONG_STATE, TaskState.CANCELLED, null));
    assertThat(cancel("nobody")).isEqualTo(new Cancel(ScriptStatus.NOT_FOUND, null, null));
    assertThat(v2.snapshot()).isEqualTo(before);
  }

  @Test
  void theDispatcherCancelsOnLayout2AndReportsTheStateOtherwise() {
    Dispatcher d = v2.baton.dispatcher();
    d.enqueue(TaskRequest.builder(Q).id("t-1").delay(Duration.ofMinutes(5)).build());
    assertThat(d.cancel("t-1")).isEqualTo(TaskState.CANCELLED);
    assertThat(d.cancel(Q, "t-1")).isEqualTo(TaskState.CANCELLED); // already cancelled: its state
    assertThatThrownBy(() -> d.cancel(Q, "nobody")).isInstanceOf(TaskNotFoundException.class);
    assertThatThrownBy(() -> d.cancel("nobody")).isInstanceOf(TaskNotFoundException.class);
  }

  @Test
  void aTaskRunningOnARealWorkerIsNotCancelledAndSucceeds() throws Exception {
    BatonClient baton = v2.baton;
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch go = new CountDownLatch(1);
    redis.closeAfter(Worker.builder(baton).handle(Q, ctx -> {
      started.countDown();
      go.await(20, TimeUnit.SECONDS);
      return Map.of("done", true);
    }).build().start());
    baton.dispatcher().enqueue(TaskRequest.builder(Q).id("t-1").build());
    assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

    assertThat(baton.dispatcher().cancel("t-1")).isEqualTo(TaskState.RUNNING);
    assertThat(baton.inspector().task("t-1").state()).isEqualTo(TaskState.RUNNING);
    go.countDown();

    TaskInfo done = baton.dispatcher().awaitResult("t-1", Duration.ofSeconds(20));
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("{\"done\":true}");
  }

  @Test
  void aCancelledTaskIsNeverRunByARealWorker() throws Exception {
    BatonClient baton = v2.baton;
    Dispatcher d = baton.dispatcher();
    d.enqueue(TaskRequest.builder(Q).id("c-1").build());
    d.enqueue(TaskRequest.builder(Q).id("c-2").delay(Duration.ofMillis(300)).build());
    assertThat(d.cancel("c-1")).isEqualTo(TaskState.CANCELLED);
    assertThat(d.cancel("c-2")).isEqualTo(TaskState.CANCELLED);
    List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
    redis.closeAfter(Worker.builder(baton).promoteInterval(Duration.ofMillis(50)).handle(Q, ctx -> {
      ran.add(ctx.taskId());
      return null;
    }).build().start());
    d.enqueue(TaskRequest.builder(Q).id("after").build());

    assertThat(d.awaitResult("after", Duration.ofSeconds(20)).state()).isEqualTo(TaskState.SUCCEEDED);
    Thread.sleep(500); // c-2 was due meanwhile
    assertThat(ran).containsExactly("after");
  }

  @Test
  void aWrongTypedKeyChangesNothing() {
    v2.tasks.park(Q, v2.deliver("p-1"), "db", "down", 60_000, "unavailable");
    v2.enqueue(LayoutV2Fixture.now("q-1", ""), LayoutV2Fixture.now("q-2", ""), LayoutV2Fixture.now("q-3", ""),
        LayoutV2Fixture.now("q-4", ""));
    v2.enqueue(LayoutV2Fixture.later("s-1", ""));
    Map<String, String> keys = new java.util.LinkedHashMap<>();
    keys.put(v2.k.stats(Q), "q-1");
    keys.put(v2.k.done(Q, "q-2"), "q-2");
    keys.put(v2.k.task(Q, "q-3"), "q-3");
    keys.put(v2.k.delayed(Q), "s-1");
    keys.put(v2.k.parking(Q), "p-1");
    keys.put(v2.k.parked(Q), "p-1");
    keys.put(v2.k.indexBucket(Q, "q-4"), "q-4");
    keys.put(v2.k.stream(Q), "q-4");
    for (Map.Entry<String, String> e : keys.entrySet()) {
      Map<String, String> intact = v2.snapshot();
      String key = e.getKey();
      byte[] dump = v2.raw.dump(key);
      if (key.equals(v2.k.done(Q, "q-2"))) {
        v2.raw.hset(key, "not", "a string"); // the finished value is a string itself
      } else {
        v2.breakKey(key);
      }
      v2.assertWrongTypeWritesNothing("cancel", key, () -> cancel(e.getValue()));
      v2.raw.del(key);
      if (dump != null) {
        v2.raw.restore(key, dump, io.lettuce.core.RestoreArgs.Builder.ttl(0));
      }
      assertThat(v2.snapshot()).as("restored " + key).isEqualTo(intact);
    }
    assertThat(cancel("q-4").status()).isEqualTo(ScriptStatus.OK); // the keys restored, it goes through
  }
}
