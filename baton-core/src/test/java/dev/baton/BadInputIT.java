package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input is rejected before anything is written; bad data already in Redis is dead-lettered with
 * a reason, and the worker keeps serving the queue.
 */
class BadInputIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final Duration WAIT = Duration.ofSeconds(10);

  // ---- rejected at enqueue -------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"bad type", "{x}", "", "-leading-dash", "tab\there", "a:b"})
  void invalidAgentTypeIsRejected(String agentType) {
    assertThatThrownBy(() -> TaskRequest.builder(agentType))
        .isInstanceOfSatisfying(InvalidTaskException.class, e -> assertThat(e.field()).isEqualTo("agentType"));
  }

  @Test
  void agentTypeOf65CharsIsRejectedAnd64Accepted() {
    assertThatThrownBy(() -> TaskRequest.builder("a".repeat(65)))
        .isInstanceOfSatisfying(InvalidTaskException.class, e -> assertThat(e.field()).isEqualTo("agentType"));
    assertThat(TaskRequest.builder("a".repeat(64)).build().agentType()).hasSize(64);
  }

  @Test
  void nullAgentTypeIsRejected() {
    assertThatThrownBy(() -> TaskRequest.builder(null))
        .isInstanceOfSatisfying(InvalidTaskException.class, e -> assertThat(e.field()).isEqualTo("agentType"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "{tag}", "a/b", "line\nbreak"})
  void invalidIdIsRejected(String id) {
    assertThatThrownBy(() -> TaskRequest.builder(Q).id(id))
        .isInstanceOfSatisfying(InvalidTaskException.class, e -> assertThat(e.field()).isEqualTo("id"));
    assertThatThrownBy(() -> TaskRequest.builder(Q).id("x".repeat(129)))
        .isInstanceOfSatisfying(InvalidTaskException.class, e -> assertThat(e.field()).isEqualTo("id"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"not json", "{\"a\":", "{'a':1}", "", "   ", "{\"a\":1} x", "{\"a\":1}{}", "[1] [2]", "1 2"})
  void nonJsonOrTrailingGarbageIsRejectedAndNothingIsWritten(String payload) {
    BatonClient baton = redis.client();
    TaskRequest request = TaskRequest.builder(Q).payloadJson(payload).build();
    assertThatThrownBy(() -> baton.dispatcher().enqueue(request))
        .isInstanceOfSatisfying(InvalidTaskException.class, e -> assertThat(e.field()).isEqualTo("payload"));
    assertNothingWritten();
  }

  @Test
  void payloadOverTheConfiguredLimitIsRejectedCountingUtf8Bytes() {
    BatonClient baton = redis.client(redis.config().maxPayloadBytes(16).build());
    String sixteen = "{\"k\":\"12345678\"}"; // 16 bytes
    assertThat(sixteen.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSize(16);
    String tenCharsEighteenBytes = "\"éééééééé\"";

    assertThatThrownBy(() -> baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson(tenCharsEighteenBytes).build()))
        .isInstanceOfSatisfying(InvalidTaskException.class, e -> {
          assertThat(e.field()).isEqualTo("payload");
          assertThat(e.getMessage()).contains("18 bytes").contains("16");
        });
    assertThatThrownBy(() -> baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson(sixteen + " ").build()))
        .isInstanceOf(InvalidTaskException.class);
    assertNothingWritten();

    assertThat(baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson(sixteen).build()).created()).isTrue();
  }

  @Test
  void defaultLimitOfOneMebibyteRejectsTwoMebibytes() {
    BatonClient baton = redis.client();
    assertThat(baton.config().maxPayloadBytes()).isEqualTo(1024 * 1024);
    String twoMiB = "\"" + "x".repeat(2 * 1024 * 1024) + "\"";
    assertThatThrownBy(() -> baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson(twoMiB).build()))
        .isInstanceOfSatisfying(InvalidTaskException.class, e -> assertThat(e.field()).isEqualTo("payload"));
    assertNothingWritten();
  }

  @Test
  void oneBadRequestInABatchRejectsTheWholeBatchBeforeAnyWrite() {
    BatonClient baton = redis.client();
    List<TaskRequest> batch = List.of(
        TaskRequest.builder(Q).id("good-1").build(),
        TaskRequest.builder(Q).id("bad-1").payloadJson("{oops").build(),
        TaskRequest.builder("other").id("good-2").build());
    assertThatThrownBy(() -> baton.dispatcher().enqueueAll(batch)).isInstanceOf(InvalidTaskException.class);
    assertNothingWritten();
  }

  /** No key under this test's prefix, except perhaps the registry of queue names. */
  private void assertNothingWritten() {
    List<String> keys = redis.raw().keys(redis.prefix() + ":*");
    assertThat(keys).isSubsetOf(new Keys(redis.prefix()).queues());
  }

  // ---- bad data already in Redis -------------------------------------------------------------

  @Test
  void streamEntryWithoutTaskIdIsDeadLetteredAsATombstone() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    String eid = redis.raw().xadd(k.stream(Q), Map.of("x", "y"));
    startWorker(baton);

    String tombstone = "entry-" + eid;
    TaskInfo dead = awaitDead(baton, tombstone);
    assertThat(dead.deadReason()).isEqualTo("stream entry has no task id field 't'");
    assertThat(dead.payloadJson()).isNull();
    assertThat(redis.raw().hget(k.task(Q, tombstone), "raw")).isEqualTo("{\"x\":\"y\"}");
    assertEntryGone(eid);
    assertThatThrownBy(() -> baton.inspector().replay(Q, tombstone)).isInstanceOf(BatonException.class);
    assertNextTaskSucceeds(baton);
  }

  @Test
  void streamEntryWithAnInvalidTaskIdIsDeadLettered() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    String eid = redis.raw().xadd(k.stream(Q), Map.of("t", "no spaces allowed"));
    startWorker(baton);

    TaskInfo dead = awaitDead(baton, "entry-" + eid);
    assertThat(dead.deadReason()).isEqualTo("stream entry has an invalid task id");
    assertEntryGone(eid);
    assertNextTaskSucceeds(baton);
  }

  @Test
  void entryWhoseTaskRecordIsMissingIsDeadLettered() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    String eid = redis.raw().xadd(k.stream(Q), Map.of("t", "ghost"));
    startWorker(baton);

    TaskInfo dead = awaitDead(baton, "ghost");
    assertThat(dead.deadReason()).isEqualTo("task record missing for stream entry " + eid);
    assertEntryGone(eid);
    assertNextTaskSucceeds(baton);
  }

  @Test
  void recordWhosePayloadIsNotJsonIsDeadLettered() throws Exception {
    assertCorruptedRecordIsDeadLettered("p", "this is not json", "payload is not JSON");
  }

  @Test
  void recordOfAnotherAgentTypeIsDeadLetteredWithoutRunningAHandler() throws Exception {
    assertCorruptedRecordIsDeadLettered("q", "other", "no handler for agent type 'other'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{not json", "[1,2]", "\"text\"", "null", "{\"a\":null}", "{\"a\":{\"b\":1}}"})
  void recordWithMalformedHeadersIsDeadLettered(String headers) throws Exception {
    assertCorruptedRecordIsDeadLettered("h", headers, "malformed headers");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1,2", "abc,2.0,100", "100,0.5,1000", "100,2.0,10"})
  void recordWithMalformedBackoffIsDeadLettered(String backoff) throws Exception {
    assertCorruptedRecordIsDeadLettered("bo", backoff, "backoff");
  }

  @ParameterizedTest
  @ValueSource(strings = {"att", "max", "dlv"})
  void recordWithANonIntegerCounterIsDeadLetteredAndTheRestOfItsBatchStillRuns(String field) throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    // both tasks reach the worker in one read, so one start script handles both
    String good = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"n\":1}").build()).id();
    String bad = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"n\":2}").build()).id();
    redis.raw().hset(k.task(Q, bad), field, "x1");
    AtomicInteger runs = startWorker(baton);

    assertThat(baton.dispatcher().awaitResult(good, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    await().atMost(WAIT).untilAsserted(() -> assertThat(redis.raw().hget(k.task(Q, bad), "st")).isEqualTo("dead"));
    assertThat(redis.raw().hget(k.task(Q, bad), "why")).contains("malformed task record").contains(field);
    assertThat(redis.raw().zscore(k.dead(Q), bad)).isNotNull();
    assertThat(runs).hasValue(1);
    assertNothingPending();
    assertNextTaskSucceeds(baton);
  }

  @Test
  void recordWithoutItsIdFieldIsDeadLettered() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    String bad = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    redis.raw().hdel(k.task(Q, bad), "id");
    AtomicInteger runs = startWorker(baton);

    await().atMost(WAIT).untilAsserted(() -> assertThat(redis.raw().hget(k.task(Q, bad), "st")).isEqualTo("dead"));
    assertThat(redis.raw().hget(k.task(Q, bad), "why")).contains("malformed task record");
    assertThat(redis.raw().zscore(k.dead(Q), bad)).isNotNull();
    assertThat(runs).hasValue(0);
    assertNothingPending();
    assertNextTaskSucceeds(baton);
  }

  /**
   * Enqueues a task, overwrites one field of its record before any worker sees it, then starts a
   * worker: the task must be dead-lettered with {@code reason} in its dead reason, its handler must
   * never run, its entry must be acknowledged, and the next task must still succeed.
   */
  private void assertCorruptedRecordIsDeadLettered(String field, String value, String reason) throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(3).build()).id();
    redis.raw().hset(k.task(Q, id), field, value);
    AtomicInteger runs = startWorker(baton);

    RedisCommands<String, String> raw = redis.raw();
    await().atMost(WAIT).untilAsserted(() -> assertThat(raw.hget(k.task(Q, id), "st")).isEqualTo("dead"));
    assertThat(raw.hget(k.task(Q, id), "why")).startsWith("non-retryable error:").contains(reason);
    assertThat(raw.zscore(k.dead(Q), id)).isNotNull();
    // the malformed dead letter can still be read, listed and awaited through the API
    assertThat(baton.inspector().task(id).state()).isEqualTo(TaskState.DEAD);
    assertThat(baton.inspector().deadLetters(Q, 0, 10)).extracting(TaskInfo::id).contains(id);
    assertThat(baton.dispatcher().awaitResult(id, WAIT).deadReason()).contains(reason);
    assertThat(runs).hasValue(0);
    assertNothingPending();
    assertNextTaskSucceeds(baton);
  }

  private AtomicInteger startWorker(BatonClient baton) {
    AtomicInteger runs = new AtomicInteger();
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, HandlerOptions.withConcurrency(4), ctx -> {
          runs.incrementAndGet();
          return Map.of("ok", true);
        })
        .build()
        .start());
    return runs;
  }

  private TaskInfo awaitDead(BatonClient baton, String id) {
    return await().atMost(WAIT).until(() -> baton.inspector().task(Q, id).orElse(null),
        t -> t != null && t.state() == TaskState.DEAD);
  }

  private void assertEntryGone(String eid) {
    Keys k = new Keys(redis.prefix());
    assertThat(redis.raw().xrange(k.stream(Q), io.lettuce.core.Range.create(eid, eid))).isEmpty();
    assertNothingPending();
  }

  private void assertNothingPending() {
    Keys k = new Keys(redis.prefix());
    await().atMost(WAIT).untilAsserted(
        () -> assertThat(redis.raw().xpending(k.stream(Q), Keys.GROUP).getCount()).isZero());
  }

  private void assertNextTaskSucceeds(BatonClient baton) throws Exception {
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"next\":true}").build()).id();
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("{\"ok\":true}");
  }
}
