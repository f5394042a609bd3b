package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/** What a handler sees of its task, and enqueue deduplication. */
class ContextIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final Duration WAIT = Duration.ofSeconds(10);

  public record Order(String customer, int qty) {}

  private record Seen(String taskId, String agentType, int attempt, int maxAttempts, String payloadJson,
      JsonNode tree, Order order, Map<String, String> headers, Instant deadline) {}

  private final List<Seen> seen = new CopyOnWriteArrayList<>();

  @Test
  void theContextDescribesEachAttempt() throws Exception {
    BatonClient baton = redis.client();
    startWorker(baton, HandlerOptions.DEFAULT, 3);
    Map<String, String> headers = Map.of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "tenant", "acme");
    String payload = "{\"customer\":\"ada\",\"qty\":3,\"note\":\"ignored\"}";

    EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder(Q)
        .id("order-7")
        .payloadJson(payload)
        .maxAttempts(4)
        .timeout(Duration.ofSeconds(5))
        .headers(headers)
        .retryPolicy(RetryPolicy.exponential(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)))
        .build());
    TaskInfo done = baton.dispatcher().awaitResult(r.id(), WAIT);

    assertThat(r.id()).isEqualTo("order-7");
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(seen).extracting(Seen::attempt).containsExactly(1, 2, 3);
    for (int i = 0; i < seen.size(); i++) {
      Seen s = seen.get(i);
      assertThat(s.taskId()).isEqualTo("order-7");
      assertThat(s.agentType()).isEqualTo(Q);
      assertThat(s.maxAttempts()).isEqualTo(4);
      assertThat(s.payloadJson()).isEqualTo(payload);
      assertThat(s.tree().get("customer").asString()).isEqualTo("ada");
      assertThat(s.tree().get("qty").asInt()).isEqualTo(3);
      assertThat(s.order()).isEqualTo(new Order("ada", 3));
      assertThat(s.headers()).isEqualTo(headers);
      assertThat(s.deadline()).isEqualTo(done.history().get(i).startedAt().plusSeconds(5));
    }
    assertThat(done.headers()).isEqualTo(headers);
  }

  @Test
  void theDeadlineUsesTheHandlersTimeoutWhenTheTaskSetsNone() throws Exception {
    BatonClient baton = redis.client();
    startWorker(baton, HandlerOptions.DEFAULT.timeout(Duration.ofSeconds(7)), 1);
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"customer\":\"bo\",\"qty\":1}").build()).id();
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(seen).hasSize(1);
    assertThat(seen.get(0).deadline()).isEqualTo(done.history().get(0).startedAt().plusSeconds(7));
    assertThat(seen.get(0).headers()).isEmpty();
  }

  @Test
  void aTimeoutLongerThan24DaysIsHonoured() throws Exception {
    BatonClient baton = redis.client();
    startWorker(baton, HandlerOptions.DEFAULT, 1);
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q)
        .payloadJson("{\"customer\":\"cy\",\"qty\":2}")
        .timeout(Duration.ofDays(30)) // more milliseconds than an int holds
        .build()).id();
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(seen.get(0).deadline()).isEqualTo(done.history().get(0).startedAt().plus(Duration.ofDays(30)));
  }

  @Test
  void aPayloadThatDoesNotFitTheRequestedTypeDeadLettersTheTask() throws Exception {
    BatonClient baton = redis.client();
    startWorker(baton, HandlerOptions.DEFAULT, 1);
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("[1,2]").maxAttempts(3).build()).id();
    TaskInfo dead = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.attempts()).isEqualTo(1); // retrying cannot help
    assertThat(dead.deadReason()).contains("payload does not fit Order");
  }

  @Test
  void aSecondTaskWithTheSameDedupKeyGetsTheFirstOne() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    EnqueueResult first = baton.dispatcher().enqueue(TaskRequest.builder(Q).id("first").dedupKey("invoice-9").build());
    EnqueueResult second = baton.dispatcher().enqueue(
        TaskRequest.builder(Q).id("second").dedupKey("invoice-9").payloadJson("{\"other\":1}").build());
    EnqueueResult third = baton.dispatcher().enqueue(TaskRequest.builder(Q).id("third").dedupKey("invoice-10").build());

    assertThat(first.created()).isTrue();
    assertThat(second.created()).isFalse();
    assertThat(second.id()).isEqualTo("first");
    assertThat(second.state()).isEqualTo(TaskState.QUEUED);
    assertThat(third.created()).isTrue();
    assertThat(baton.inspector().task(Q, "second")).isEmpty();
    assertThat(redis.raw().xlen(k.stream(Q))).isEqualTo(2);
    assertThat(baton.inspector().task("first").payloadJson()).isEqualTo("{}");

    // still deduplicated once the holder has finished, within the dedup window
    startWorker(baton, HandlerOptions.DEFAULT, 1);
    baton.dispatcher().awaitResult("first", WAIT);
    EnqueueResult later = baton.dispatcher().enqueue(TaskRequest.builder(Q).id("fourth").dedupKey("invoice-9").build());
    assertThat(later.created()).isFalse();
    assertThat(later.id()).isEqualTo("first");
    assertThat(later.state()).isEqualTo(TaskState.SUCCEEDED);
  }

  /** A worker whose handler records its context and fails until attempt {@code succeedOn}. */
  private void startWorker(BatonClient baton, HandlerOptions options, int succeedOn) {
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, options, ctx -> {
          seen.add(new Seen(ctx.taskId(), ctx.agentType(), ctx.attempt(), ctx.maxAttempts(), ctx.payloadJson(),
              ctx.payload(JsonNode.class), ctx.payload(Order.class), ctx.headers(), ctx.deadline()));
          if (ctx.attempt() < succeedOn) {
            throw new IllegalStateException("not yet");
          }
          return "ok";
        })
        .build()
        .start());
  }
}
