package dev.baton;

import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerInfo;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.DependencyUnavailableException;
import dev.baton.resilience.RateLimitedException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Queue integration of the breakers in one worker: tasks whose dependency is unavailable are
 * parked without consuming an attempt, wait out of the stream, and come back when it recovers;
 * while the breaker is open no task of a declaring agent type starts.
 */
class ParkingIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "summarize";
  private static final String DEP = "svc";
  private static final Duration WAIT = Duration.ofSeconds(15);

  private final AtomicReference<String> mode = new AtomicReference<>("ok");
  private final AtomicInteger calls = new AtomicInteger();
  private final Map<String, Long> startedAt = new ConcurrentHashMap<>();

  private Object handle(TaskContext ctx) throws Exception {
    startedAt.putIfAbsent(ctx.taskId(), System.currentTimeMillis());
    return ctx.dependency(DEP).call(() -> {
      calls.incrementAndGet();
      return switch (mode.get()) {
        case "down" -> throw new DependencyUnavailableException(DEP, "503 from svc");
        case "rate-once" -> {
          mode.set("ok");
          throw new RateLimitedException(DEP, Duration.ofMillis(300), "429 from svc");
        }
        default -> "done";
      };
    });
  }

  private BatonClient worker(BreakerConfig breaker) {
    BatonClient baton = redis.client();
    redis.closeAfter(Worker.builder(baton)
        .dependency(DependencyConfig.of(DEP, breaker))
        .releaseWave(Duration.ofMillis(200))
        .handle(Q, HandlerOptions.withConcurrency(4).dependencies(DEP), this::handle)
        .build()
        .start());
    return baton;
  }

  /** A breaker that never opens: only the handler's own classification matters. */
  private static BreakerConfig neverOpens() {
    return BreakerConfig.builder().minimumCalls(100_000).build();
  }

  private static TaskInfo awaitState(BatonClient baton, String id, TaskState state) {
    return await().atMost(WAIT).until(() -> baton.inspector().task(id), t -> t.state() == state);
  }

  @Test
  void aTaskWhoseDependencyIsDownIsParkedWithItsAttemptsUntouchedAndRunsOnceItIsBack() throws Exception {
    BatonClient baton = worker(neverOpens());
    mode.set("down");
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(1).build()).id();

    TaskInfo parked = awaitState(baton, id, TaskState.PARKED);
    assertThat(parked.attempts()).isZero(); // the attempt was given back
    assertThat(parked.waitingFor()).isEqualTo(DEP);
    assertThat(parked.parkedReason()).contains("503 from svc");
    assertThat(baton.inspector().stats(Q).parked()).isEqualTo(1);
    // it is re-tried every second while down, and never uses up its single attempt
    await().atMost(WAIT).until(() -> calls.get() >= 3);
    assertThat(baton.inspector().task(id).state()).isIn(TaskState.PARKED, TaskState.QUEUED, TaskState.RUNNING);

    mode.set("ok");
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.attempts()).isEqualTo(1);
    assertThat(done.history()).hasSize(1); // parking writes no failed attempt
    assertThat(redis.raw().zcard(new Keys(redis.prefix()).parked(Q))).isZero();
  }

  @Test
  void whileTheBreakerIsOpenNoTaskStartsAndTheyAllSucceedAfterItCloses() throws Exception {
    BatonClient baton = worker(BreakerConfig.builder().countWindow(2).minimumCalls(2)
        .waitInOpen(Duration.ofSeconds(2)).permittedProbes(1).build());
    mode.set("down");
    List<String> first = List.of(
        baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(1).build()).id(),
        baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(1).build()).id());
    await().atMost(WAIT).until(() -> baton.inspector().breaker(DEP).state() == BreakerState.OPEN);
    List<String> later = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      later.add(baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(1).build()).id());
    }
    mode.set("ok");
    for (String id : later) {
      TaskInfo t = baton.dispatcher().awaitResult(id, WAIT);
      assertThat(t.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(t.attempts()).isEqualTo(1);
    }
    for (String id : first) {
      assertThat(baton.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    // none of the later tasks started before the breaker left open
    List<StreamMessage<String, String>> events = redis.raw()
        .xrange(new Keys(redis.prefix()).breakerEvents(DEP), Range.create("-", "+"));
    long openedAt = events.stream().filter(e -> e.getBody().get("to").equals("open")).findFirst()
        .map(e -> Long.parseLong(e.getBody().get("at"))).orElseThrow();
    long halfOpenAt = events.stream().filter(e -> e.getBody().get("to").equals("half_open")).findFirst()
        .map(e -> Long.parseLong(e.getBody().get("at"))).orElseThrow();
    assertThat(halfOpenAt - openedAt).isGreaterThanOrEqualTo(2_000);
    for (String id : later) {
      assertThat(startedAt.get(id)).as("task %s started at", id).isGreaterThanOrEqualTo(openedAt + 2_000);
    }
    assertThat(events).extracting(e -> e.getBody().get("to")).containsExactly("open", "half_open", "closed");
    BreakerInfo info = baton.inspector().breakers().get(0);
    assertThat(info.dependency()).isEqualTo(DEP);
    assertThat(info.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(info.parked()).isZero();
  }

  @Test
  void aRateLimitedTaskIsParkedForItsRetryAfterWithoutCountingAgainstTheBreaker() throws Exception {
    BatonClient baton = worker(BreakerConfig.builder().countWindow(2).minimumCalls(1).build());
    mode.set("rate-once");
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).maxAttempts(1).build()).id();
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.attempts()).isEqualTo(1);
    assertThat(done.deliveries()).isEqualTo(2);
    assertThat(calls.get()).isEqualTo(2);
    // one minimum call and a 100 % failure rate would have opened it, had the 429 counted
    assertThat(baton.inspector().breaker(DEP).state()).isEqualTo(BreakerState.CLOSED);
    assertThat(redis.raw().hget(new Keys(redis.prefix()).task(Q, id), "pk")).isNull();
    assertThat(redis.raw().hget(new Keys(redis.prefix()).task(Q, id), "pn")).isEqualTo("1");
  }

  @Test
  void aParkedTaskCanBeCancelled() throws Exception {
    BatonClient baton = worker(neverOpens());
    mode.set("down");
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    Keys k = new Keys(redis.prefix());
    // catch it parked: it stays so for a second (Redis time) before it is tried again
    awaitState(baton, id, TaskState.PARKED);
    assertThat(baton.dispatcher().cancel(Q, id)).isEqualTo(TaskState.CANCELLED);
    assertThat(redis.raw().zcard(k.parked(Q))).isZero();
    assertThat(redis.raw().hget(k.parking(Q), "n:" + DEP)).isEqualTo("0");
    assertThat(baton.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.CANCELLED);
  }

  @Test
  void aTaskWaitingLongerThanItsMaxWaitIsDeadLetteredWithTheReason() throws Exception {
    BatonClient baton = worker(neverOpens());
    mode.set("down");
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).maxWait(Duration.ofMillis(1500)).build()).id();
    TaskInfo dead = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.deadReason()).startsWith("waited longer than its max wait of 1500ms for dependency svc")
        .contains("503 from svc");
    assertThat(dead.attempts()).isZero();
    assertThat(redis.raw().hget(new Keys(redis.prefix()).parking(Q), "n:" + DEP)).isEqualTo("0");
  }
}
