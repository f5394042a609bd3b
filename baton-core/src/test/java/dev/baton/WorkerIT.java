package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class WorkerIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @Test
  void runsATaskAndStoresItsResult() throws Exception {
    BatonClient baton = redis.client();
    redis.closeAfter(Worker.builder(baton)
        .handle("echo", HandlerOptions.withConcurrency(4), ctx -> Map.of("got", ctx.payloadJson(), "attempt", ctx.attempt()))
        .build()
        .start());

    EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder("echo").payloadJson("{\"x\":1}").build());
    assertThat(r.created()).isTrue();
    assertThat(r.state()).isEqualTo(TaskState.QUEUED);

    TaskInfo done = baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(10));
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    // Map.of iterates in no fixed order: compare JSON trees, not text
    assertThat(JsonCodec.jackson().decode(done.resultJson(), tools.jackson.databind.JsonNode.class))
        .isEqualTo(JsonCodec.jackson().decode("{\"got\":\"{\\\"x\\\":1}\",\"attempt\":1}",
            tools.jackson.databind.JsonNode.class));
    assertThat(done.attempts()).isEqualTo(1);
    assertThat(done.history()).hasSize(1);
    assertThat(done.history().get(0).succeeded()).isTrue();
    assertThat(done.finishedAt()).isNotNull();
    // the finished entry is gone from the stream: memory stays bounded
    assertThat(redis.raw().xlen(redis.prefix() + ":{echo}:stream")).isZero();
    long ttl = redis.raw().pttl(redis.prefix() + ":{echo}:task:" + r.id());
    assertThat(ttl).isPositive().isLessThanOrEqualTo(BatonConfig.DEFAULT_RETENTION.toMillis());
  }

  @Test
  void retriesWithBackoffThenDeadLettersWithHistory() throws Exception {
    BatonClient baton = redis.client();
    AtomicInteger calls = new AtomicInteger();
    redis.closeAfter(Worker.builder(baton)
        .handle("flaky", HandlerOptions.withConcurrency(2), ctx -> {
          calls.incrementAndGet();
          throw new IllegalStateException("boom " + ctx.attempt());
        })
        .build()
        .start());

    EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder("flaky")
        .maxAttempts(3)
        .retryPolicy(RetryPolicy.exponential(Duration.ofMillis(20), 2.0, Duration.ofMillis(100)))
        .build());
    TaskInfo dead = baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(10));

    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(calls).hasValue(3);
    assertThat(dead.attempts()).isEqualTo(3);
    assertThat(dead.deadReason()).isEqualTo("attempts exhausted (3/3): IllegalStateException: boom 3");
    assertThat(dead.history()).extracting(TaskError::message).containsExactly("boom 1", "boom 2", "boom 3");
    assertThat(dead.lastError().errorClass()).isEqualTo("java.lang.IllegalStateException");
    assertThat(dead.lastError().stack()).contains("IllegalStateException").contains("\tat ");
    assertThat(baton.inspector().deadLetters("flaky", 0, 10)).extracting(TaskInfo::id).containsExactly(r.id());
    QueueStats stats = baton.inspector().stats("flaky");
    assertThat(stats.dead()).isEqualTo(1);
    assertThat(stats.retried()).isEqualTo(2);
    assertThat(stats.queued() + stats.running() + stats.delayed()).isZero();
  }

  @Test
  void nonRetryableErrorDeadLettersAtOnce() throws Exception {
    BatonClient baton = redis.client();
    redis.closeAfter(Worker.builder(baton)
        .handle("strict", ctx -> {
          throw new NonRetryableException("bad request");
        })
        .build()
        .start());
    EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder("strict").maxAttempts(5).build());
    TaskInfo dead = baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(10));
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.attempts()).isEqualTo(1);
    assertThat(dead.deadReason()).isEqualTo("non-retryable error: NonRetryableException: bad request");
  }

  @Test
  void delayedTaskWaitsThenRuns() throws Exception {
    BatonClient baton = redis.client();
    redis.closeAfter(Worker.builder(baton).handle("later", ctx -> "ok").build().start());
    EnqueueResult r = baton.dispatcher().enqueue(
        TaskRequest.builder("later").delay(Duration.ofMillis(700)).build());
    assertThat(r.state()).isEqualTo(TaskState.SCHEDULED);
    assertThat(baton.inspector().task(r.id()).state()).isEqualTo(TaskState.SCHEDULED);
    TaskInfo done = baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(10));
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"ok\"");
    assertThat(done.startedAt()).isAfterOrEqualTo(done.scheduledAt());
    assertThat(Duration.between(done.createdAt(), done.startedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(650));
  }

  @Test
  void enqueueIsIdempotentOnTheId() throws Exception {
    BatonClient baton = redis.client();
    TaskRequest req = TaskRequest.builder("once").id("order-42").payloadJson("{\"n\":1}").build();
    EnqueueResult first = baton.dispatcher().enqueue(req);
    EnqueueResult again = baton.dispatcher().enqueue(
        TaskRequest.builder("once").id("order-42").payloadJson("{\"n\":2}").build());
    assertThat(first.created()).isTrue();
    assertThat(again.created()).isFalse();
    assertThat(again.id()).isEqualTo("order-42");
    assertThat(redis.raw().xlen(redis.prefix() + ":{once}:stream")).isEqualTo(1);
    assertThat(baton.inspector().task("order-42").payloadJson()).isEqualTo("{\"n\":1}");

    AtomicInteger runs = new AtomicInteger();
    redis.closeAfter(Worker.builder(baton).handle("once", ctx -> runs.incrementAndGet()).build().start());
    baton.dispatcher().awaitResult("order-42", Duration.ofSeconds(10));
    assertThat(baton.dispatcher().enqueue(req).created()).isFalse();
    assertThat(runs).hasValue(1);
  }

  @Test
  void enqueueAllPipelinesManyTasks() throws Exception {
    BatonClient baton = redis.client();
    List<TaskRequest> reqs = new java.util.ArrayList<>();
    for (int i = 0; i < 500; i++) {
      reqs.add(TaskRequest.builder("bulk").payloadJson("{\"i\":" + i + "}").build());
    }
    List<EnqueueResult> results = baton.dispatcher().enqueueAll(reqs);
    assertThat(results).hasSize(500).allMatch(EnqueueResult::created);
    assertThat(results.stream().map(EnqueueResult::id).distinct()).hasSize(500);
    AtomicInteger sum = new AtomicInteger();
    redis.closeAfter(Worker.builder(baton)
        .handle("bulk", HandlerOptions.withConcurrency(50), ctx -> {
          sum.addAndGet(ctx.payload(tools.jackson.databind.JsonNode.class).get("i").asInt());
          return null;
        })
        .build()
        .start());
    for (EnqueueResult r : results) {
      assertThat(baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(20)).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    assertThat(sum).hasValue(500 * 499 / 2);
    assertThat(baton.inspector().stats("bulk").succeeded()).isEqualTo(500);
  }
}
