package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.PAYLOAD;
import static dev.baton.LayoutV2Fixture.Q;
import static dev.baton.LayoutV2Fixture.msOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.internal.codec.WireFormat;
import dev.baton.internal.scripts.ClientV2Scripts;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.RecoveryV2Scripts.StaleEntry;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.internal.scripts.TaskV2Scripts.ReleaseKind;
import dev.baton.internal.scripts.WrongKeyTypeException;
import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client's read side on layout 2 (docs/hot-path-v2.md), selected with {@code baton.layout=2}:
 * {@code Inspector.task} in every state (v2/task.lua), {@code Inspector.stats} of a mixed queue
 * (v2/stats.lua), and {@code Dispatcher.result}/{@code awaitResult} of tasks real workers finish.
 */
class LayoutV2InspectionIT {
  @RegisterExtension static final Layout2Extension layout2 = new Layout2Extension();
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String OPTIONS = "{\"max\":5,\"h\":{\"tenant\":\"acme\"}}";

  private LayoutV2Fixture v2;
  private Inspector inspector;
  private ClientV2Scripts client;



  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
    inspector = v2.baton.inspector();
    client = new ClientV2Scripts(v2.baton.broker());
  }

  private TaskInfo task(String id) {
    return inspector.task(Q, id).orElseThrow();
  }

  private static String attempt(int n, String message) {
    return WireFormat.attemptRecord(new TaskError(n, A, Instant.ofEpochMilli(1_000_000L * n),
        Instant.ofEpochMilli(1_000_000L * n + 5), "java.lang.IllegalStateException", message, "at x"));
  }

  @Test
  void aQueuedTaskShowsItsEntryAndOptionsAndARunningOneItsOwner() {
    v2.enqueue(LayoutV2Fixture.now("t-1", OPTIONS));
    String eid = v2.index("t-1");

    TaskInfo queued = task("t-1");
    assertThat(queued.state()).isEqualTo(TaskState.QUEUED);
    assertThat(queued.agentType()).isEqualTo(Q);
    assertThat(queued.payloadJson()).isEqualTo(PAYLOAD);
    assertThat(queued.maxAttempts()).isEqualTo(5);
    assertThat(queued.headers()).containsExactly(Map.entry("tenant", "acme"));
    assertThat(queued.attempts()).isZero();
    assertThat(queued.deliveries()).isZero();
    assertThat(queued.createdAt()).isEqualTo(Instant.ofEpochMilli(msOf(eid)));
    assertThat(queued.finishedAt()).isNull();
    assertThat(client.task(Q, "t-1").orElseThrow().owner()).isNull();

    v2.read(A, 1);

    TaskInfo running = task("t-1");
    assertThat(running.state()).isEqualTo(TaskState.RUNNING);
    assertThat(running.attempts()).isEqualTo(1);
    assertThat(running.deliveries()).isEqualTo(1);
    assertThat(running.payloadJson()).isEqualTo(PAYLOAD);
    assertThat(client.task(Q, "t-1").orElseThrow().owner()).isEqualTo(A);
  }

  @Test
  void aTaskWithoutOptionsHasTheDefaultBudgetAndNoHeaders() {
    v2.enqueue(LayoutV2Fixture.now("t-1", ""));
    TaskInfo t = task("t-1");
    assertThat(t.maxAttempts()).isEqualTo(3);
    assertThat(t.headers()).isEmpty();
  }

  @Test
  void releasedAndRecoveredTasksWaitAsQueuedUnderTheReservedConsumers() {
    Held released = v2.deliver("t-r");
    v2.tasks.release(Q, List.of(released), ReleaseKind.PLAIN, 2);
    Held recovered = v2.deliver("t-c");
    v2.recovery.recover(Q, List.of(new StaleEntry(recovered.token(), "t-c")), 0, 5);

    TaskInfo r = task("t-r");
    assertThat(r.state()).isEqualTo(TaskState.QUEUED);
    assertThat(r.payloadJson()).isEqualTo(PAYLOAD);
    assertThat(r.attempts()).isZero(); // a release charges nothing
    assertThat(client.task(Q, "t-r").orElseThrow().owner()).isEqualTo("~released");
    TaskInfo c = task("t-c");
    assertThat(c.state()).isEqualTo(TaskState.QUEUED);
    assertThat(client.task(Q, "t-c").orElseThrow().owner()).isEqualTo("~recovered");

    // claimed by the next cycle: running again, under the claimer, as attempt 1
    CycleScripts.Reply claim = v2.cycle("worker-b", 10);
    assertThat(claim.claimed()).hasSize(2);
    TaskInfo again = task("t-r");
    assertThat(again.state()).isEqualTo(TaskState.RUNNING);
    assertThat(again.attempts()).isEqualTo(1);
    assertThat(client.task(Q, "t-r").orElseThrow().owner()).isEqualTo("worker-b");
  }

  @Test
  void aScheduledTaskIsReadFromItsRecord() {
    v2.enqueue(LayoutV2Fixture.later("t-s", OPTIONS));

    TaskInfo t = task("t-s");
    assertThat(t.state()).isEqualTo(TaskState.SCHEDULED);
    assertThat(t.payloadJson()).isEqualTo(PAYLOAD);
    assertThat(t.maxAttempts()).isEqualTo(5);
    assertThat(t.headers()).containsEntry("tenant", "acme");
    assertThat(t.scheduledAt()).isAfter(t.createdAt());
    assertThat(t.attempts()).isZero();
  }

  @Test
  void aRetryingTaskShowsItsHistoryAndAPromotedOneItsEntryWithTheHistory() {
    Held held = v2.deliver(A, "t-1", OPTIONS);
    v2.tasks.retry(Q, held, attempt(1, "first try fails"), 60_000);

    TaskInfo retrying = task("t-1");
    assertThat(retrying.state()).isEqualTo(TaskState.RETRYING);
    assertThat(retrying.attempts()).isEqualTo(1);
    assertThat(retrying.maxAttempts()).isEqualTo(5);
    assertThat(retrying.payloadJson()).isEqualTo(PAYLOAD);
    assertThat(retrying.history()).hasSize(1);
    assertThat(retrying.lastError().message()).isEqualTo("first try fails");
    assertThat(retrying.startedAt()).isEqualTo(Instant.ofEpochMilli(1_000_000L));
    assertThat(retrying.createdAt()).isEqualTo(Instant.ofEpochMilli(msOf(held.token())));
    assertThat(retrying.scheduledAt()).isAfter(retrying.createdAt());

    v2.makeDue("t-1");
    assertThat(v2.recovery.promote(Q, List.of("t-1"))).isEqualTo(1);
    TaskInfo queued = task("t-1");
    assertThat(queued.state()).isEqualTo(TaskState.QUEUED);
    assertThat(queued.attempts()).isEqualTo(1);
    assertThat(queued.deliveries()).isEqualTo(1);
    assertThat(queued.history()).hasSize(1);
    assertThat(queued.payloadJson()).isEqualTo(PAYLOAD);

    v2.read(A, 1);
    TaskInfo running = task("t-1");
    assertThat(running.state()).isEqualTo(TaskState.RUNNING);
    assertThat(running.attempts()).isEqualTo(2);
    assertThat(running.deliveries()).isEqualTo(2);
  }

  @Test
  void aDeadTaskShowsWhyAndItsErrorsAndAParkedOneItsDependency() {
    Held dying = v2.deliver("t-d");
    v2.tasks.deadLetter(Q, dying, attempt(1, "bad input"), "non-retryable: bad input");
    Held parking = v2.deliver("t-p");
    v2.tasks.park(Q, parking, "billing-api", "breaker open", 60_000, "open");

    TaskInfo dead = task("t-d");
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.deadReason()).isEqualTo("non-retryable: bad input");
    assertThat(dead.lastError().message()).isEqualTo("bad input");
    assertThat(dead.history()).hasSize(1);
    assertThat(dead.finishedAt()).isNotNull();
    assertThat(dead.payloadJson()).isEqualTo(PAYLOAD);

    TaskInfo parked = task("t-p");
    assertThat(parked.state()).isEqualTo(TaskState.PARKED);
    assertThat(parked.waitingFor()).isEqualTo("billing-api");
    assertThat(parked.parkedReason()).isEqualTo("breaker open");
    assertThat(parked.payloadJson()).isEqualTo(PAYLOAD);
  }

  @Test
  void aSucceededTaskIsItsFinishedValueWithResultAndRetention() {
    Held held = v2.deliver("t-1");
    long ft = v2.redisNow();
    v2.cycle(A, 0, new CycleScripts.Success("t-1", held.token(),
        CycleScripts.finishedValue(ft, 1, 12, "{\"pages\":3,\"note\":\"a|b\"}")));

    TaskInfo t = task("t-1");
    assertThat(t.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(t.resultJson()).isEqualTo("{\"pages\":3,\"note\":\"a|b\"}");
    assertThat(t.finishedAt()).isEqualTo(Instant.ofEpochMilli(ft));
    assertThat(t.attempts()).isEqualTo(1);
    assertThat(t.payloadJson()).isNull(); // the entry is gone and the task never had a record
    assertThat(v2.raw.pttl(v2.k.done(Q, "t-1"))).isPositive();
    assertThat(client.task(Q, "t-1").orElseThrow().indexValue()).isNull();
  }

  @Test
  void aRetriedTaskThatSucceededKeepsItsHistoryBesideItsResult() {
    Held first = v2.deliver("t-1");
    v2.tasks.retry(Q, first, attempt(1, "flaky"), 0);
    v2.makeDue("t-1");
    v2.recovery.promote(Q, List.of("t-1"));
    Held second = LayoutV2Fixture.heldOf(v2.read(A, 1).get(0));
    v2.cycle(A, 0, new CycleScripts.Success("t-1", second.token(), CycleScripts.finishedValue(v2.redisNow(), 2, 12, "7")));

    TaskInfo t = task("t-1");
    assertThat(t.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(t.attempts()).isEqualTo(2);
    assertThat(t.resultJson()).isEqualTo("7");
    // the failed attempt from the record, then the successful one from the finished value
    assertThat(t.history()).hasSize(2);
    assertThat(t.history().get(0).errorClass()).isEqualTo(IllegalStateException.class.getName());
    assertThat(t.history().get(1).attempt()).isEqualTo(2);
    assertThat(t.history().get(1).errorClass()).isNull();
    assertThat(java.time.Duration.between(t.history().get(1).startedAt(), t.history().get(1).finishedAt()))
        .isEqualTo(java.time.Duration.ofMillis(12));
    assertThat(t.payloadJson()).isEqualTo(PAYLOAD);
  }

  @Test
  void aCancelledTaskAndAnUnknownOne() {
    BatonClient baton = v2.baton;
    baton.dispatcher().enqueue(TaskRequest.builder(Q).id("t-x").payloadJson(PAYLOAD).build());
    assertThat(baton.dispatcher().cancel("t-x")).isEqualTo(TaskState.CANCELLED);

    TaskInfo t = inspector.task("t-x"); // found across agent types by its finished value
    assertThat(t.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(t.agentType()).isEqualTo(Q);
    assertThat(t.finishedAt()).isNotNull();
    assertThat(inspector.task(Q, "nobody")).isEmpty();
    assertThatThrownBy(() -> inspector.task("nobody")).isInstanceOf(TaskNotFoundException.class);
  }

  @Test
  void aTaskInTheIndexIsFoundAcrossAgentTypes() {
    v2.baton.dispatcher().enqueue(TaskRequest.builder("other").id("o-1").build());
    v2.baton.dispatcher().enqueue(TaskRequest.builder(Q).id("t-1").build());
    assertThat(inspector.task("t-1").agentType()).isEqualTo(Q);
    assertThat(inspector.task("o-1").state()).isEqualTo(TaskState.QUEUED);
  }

  @Test
  void aWrongTypedKeyFailsTheReadNamingIt() {
    v2.enqueue(LayoutV2Fixture.now("t-1", ""));
    String bucket = v2.k.indexBucket(Q, "t-1");
    v2.breakKey(bucket);
    assertThatThrownBy(() -> inspector.task(Q, "t-1")).isInstanceOf(WrongKeyTypeException.class)
        .hasMessageContaining("task.lua").hasMessageContaining(bucket);
  }

  @Test
  void statsCountAMixedQueue() {
    Held running = v2.deliver("r-1");
    Held released = v2.deliver("r-2");
    v2.tasks.release(Q, List.of(released), ReleaseKind.PLAIN, 2);
    Held recovered = v2.deliver("r-3");
    v2.recovery.recover(Q, List.of(new StaleEntry(recovered.token(), "r-3")), 0, 5);
    v2.enqueue(LayoutV2Fixture.later("s-1", ""));
    v2.tasks.retry(Q, v2.deliver("f-1"), attempt(1, "x"), 60_000);
    v2.tasks.deadLetter(Q, v2.deliver("d-1"), attempt(1, "x"), "no");
    v2.tasks.park(Q, v2.deliver("p-1"), "db", "down", 60_000, "unavailable");
    Held succeeding = v2.deliver("ok-1");
    v2.succeed(A, "ok-1", succeeding.token());
    v2.enqueue(LayoutV2Fixture.now("c-1", ""));
    v2.baton.dispatcher().cancel(Q, "c-1");
    v2.enqueue(LayoutV2Fixture.now("q-1", ""), LayoutV2Fixture.now("q-2", ""));

    QueueStats s = inspector.stats(Q);
    assertThat(s.queued()).isEqualTo(4); // q-1, q-2, and r-2, r-3 waiting to be claimed
    assertThat(s.running()).isEqualTo(1); // r-1 (the others left the stream)
    assertThat(s.delayed()).isEqualTo(2);
    assertThat(s.dead()).isEqualTo(1);
    assertThat(s.parked()).isEqualTo(1);
    assertThat(s.succeeded()).isEqualTo(1);
    assertThat(s.cancelled()).isEqualTo(1);
    assertThat(s.enqueued()).isEqualTo(11);
    assertThat(s.retried()).isEqualTo(1);
    assertThat(s.isMalformed()).isFalse();
    assertThat(running.token()).isNotNull();
  }

  @Test
  void statsOfANewQueueAreZeroAndAWrongTypedKeyIsListedFlagged() {
    assertThat(inspector.stats("never")).isEqualTo(new QueueStats("never", 0, 0, 0, 0, 0, 0, 0, 0, 0));
    v2.baton.dispatcher().enqueue(TaskRequest.builder(Q).id("t-1").build());
    v2.breakKey(v2.k.delayed(Q));

    assertThatThrownBy(() -> inspector.stats(Q)).isInstanceOf(BatonException.class).hasMessageContaining(Q);
    assertThat(inspector.stats()).singleElement().satisfies(s -> {
      assertThat(s.agentType()).isEqualTo(Q);
      assertThat(s.isMalformed()).isTrue();
    });
  }

  @Test
  void awaitResultReturnsASucceededAndADeadTaskFinishedByAWorker() throws Exception {
    BatonClient baton = v2.baton;
    CountDownLatch go = new CountDownLatch(1);
    redis.closeAfter(Worker.builder(baton).handle(Q, ctx -> {
      go.await(10, TimeUnit.SECONDS);
      if (ctx.taskId().startsWith("bad")) {
        throw new NonRetryableException("cannot read " + ctx.taskId());
      }
      return Map.of("echo", ctx.taskId());
    }).build().start());
    baton.dispatcher().enqueue(TaskRequest.builder(Q).id("good-1").payloadJson("{}").build());
    baton.dispatcher().enqueue(TaskRequest.builder(Q).id("bad-1").payloadJson("{}").build());
    var good = baton.dispatcher().result("good-1");
    var bad = baton.dispatcher().result("bad-1");
    assertThat(good).isNotDone();
    go.countDown();

    TaskInfo succeeded = good.get(20, TimeUnit.SECONDS);
    assertThat(succeeded.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(succeeded.resultJson()).isEqualTo("{\"echo\":\"good-1\"}");
    TaskInfo dead = bad.get(20, TimeUnit.SECONDS);
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.deadReason()).isNotBlank();
    assertThat(dead.lastError().message()).contains("cannot read bad-1");

    // already finished: answered from the finished value at once
    assertThat(baton.dispatcher().awaitResult("good-1", Duration.ofSeconds(5)).resultJson())
        .isEqualTo("{\"echo\":\"good-1\"}");
    assertThatThrownBy(() -> baton.dispatcher().awaitResult("nobody", Duration.ofSeconds(1)))
        .isInstanceOf(TaskNotFoundException.class);
  }

  @Test
  void awaitResultOfACancelledTaskReturnsIt() throws Exception {
    BatonClient baton = v2.baton;
    baton.dispatcher().enqueue(TaskRequest.builder(Q).id("t-1").delay(Duration.ofMinutes(5)).build());
    var f = baton.dispatcher().result("t-1");
    assertThat(f).isNotDone();
    baton.dispatcher().cancel(Q, "t-1");
    assertThat(f.get(10, TimeUnit.SECONDS).state()).isEqualTo(TaskState.CANCELLED);
    assertThat(Optional.of(f.get()).map(TaskInfo::finishedAt)).isPresent();
  }
}
