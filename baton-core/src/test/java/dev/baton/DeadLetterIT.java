package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.server.Janitor;
import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Dead letters can be listed, replayed and purged, and the janitor keeps each queue under its cap. */
class DeadLetterIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** While true, every attempt fails (retryably). */
  private final AtomicBoolean broken = new AtomicBoolean(true);

  @Test
  void listsDeadLettersOldestFirstWithPaging() throws Exception {
    BatonClient baton = redis.client();
    startWorker(baton);
    List<String> dead = killTasks(baton, 3);

    assertThat(baton.inspector().deadLetters(Q, 0, 10)).extracting(TaskInfo::id).containsExactlyElementsOf(dead);
    assertThat(baton.inspector().deadLetters(Q, 1, 1)).extracting(TaskInfo::id).containsExactly(dead.get(1));
    assertThat(baton.inspector().deadLetters(Q, 3, 10)).isEmpty();
    assertThat(baton.inspector().deadLetterCount(Q)).isEqualTo(3);
    assertThat(baton.inspector().deadLetters(Q, 0, 10)).allSatisfy(t -> {
      assertThat(t.state()).isEqualTo(TaskState.DEAD);
      assertThat(t.deadReason()).startsWith("attempts exhausted (2/2)");
      assertThat(t.finishedAt()).isNotNull();
    });
  }

  @Test
  void replayRunsTheTaskAgainWithFreshAttemptsAndKeepsItsHistory() throws Exception {
    BatonClient baton = redis.client();
    List<Integer> attemptsSeen = new java.util.concurrent.CopyOnWriteArrayList<>();
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, ctx -> {
          attemptsSeen.add(ctx.attempt());
          if (broken.get()) {
            throw new IllegalStateException("broken");
          }
          return "fixed";
        })
        .build()
        .start());
    String id = killTasks(baton, 1).get(0);
    String other = killTasks(baton, 1).get(0);
    broken.set(false);

    assertThat(baton.inspector().replay(Q, id)).isTrue();

    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"fixed\"");
    assertThat(done.attempts()).isEqualTo(1); // a fresh budget
    assertThat(done.maxAttempts()).isEqualTo(2);
    assertThat(done.deadReason()).isNull();
    assertThat(done.deliveries()).isEqualTo(3);
    assertThat(done.history()).extracting(TaskError::attempt).containsExactly(1, 2, 1);
    assertThat(done.history()).extracting(TaskError::succeeded).containsExactly(false, false, true);
    assertThat(done.history().get(0).message()).isEqualTo("broken");
    assertThat(attemptsSeen).containsExactly(1, 2, 1, 2, 1);
    // only the replayed one left the dead-letter queue
    assertThat(baton.inspector().deadLetters(Q, 0, 10)).extracting(TaskInfo::id).containsExactly(other);
  }

  @Test
  void replayOfATaskThatIsNotDeadReturnsFalseAndChangesNothing() throws Exception {
    BatonClient baton = redis.client();
    String scheduled = baton.dispatcher().enqueue(TaskRequest.builder(Q).delay(Duration.ofMinutes(5)).build()).id();
    String queued = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    TaskInfo scheduledBefore = baton.inspector().task(scheduled);
    TaskInfo queuedBefore = baton.inspector().task(queued);

    assertThat(baton.inspector().replay(Q, scheduled)).isFalse();
    assertThat(baton.inspector().replay(Q, queued)).isFalse();

    assertThat(baton.inspector().task(scheduled)).isEqualTo(scheduledBefore);
    assertThat(baton.inspector().task(queued)).isEqualTo(queuedBefore);
    assertThat(redis.raw().xlen(new Keys(redis.prefix()).stream(Q))).isEqualTo(1);

    broken.set(false);
    startWorker(baton);
    TaskInfo done = baton.dispatcher().awaitResult(queued, WAIT);
    assertThat(baton.inspector().replay(Q, queued)).isFalse();
    assertThat(baton.inspector().task(queued)).isEqualTo(done);
    assertThatThrownBy(() -> baton.inspector().replay(Q, "no-such-task")).isInstanceOf(TaskNotFoundException.class);
  }

  @Test
  void replayAllReplaysEveryDeadLetter() throws Exception {
    BatonClient baton = redis.client();
    startWorker(baton);
    List<String> dead = killTasks(baton, 3);
    broken.set(false);

    assertThat(baton.inspector().replayAll(Q)).isEqualTo(3);

    for (String id : dead) {
      assertThat(baton.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    assertThat(baton.inspector().deadLetterCount(Q)).isZero();
    assertThat(baton.inspector().replayAll(Q)).isZero();
  }

  @Test
  void purgeDeletesOneDeadLetterForGood() throws Exception {
    BatonClient baton = redis.client();
    startWorker(baton);
    List<String> dead = killTasks(baton, 2);

    assertThat(baton.inspector().purge(Q, dead.get(0))).isTrue();

    assertThat(baton.inspector().task(Q, dead.get(0))).isEmpty();
    assertThat(baton.inspector().deadLetters(Q, 0, 10)).extracting(TaskInfo::id).containsExactly(dead.get(1));
    assertThat(baton.inspector().purge(Q, dead.get(0))).isFalse();
    assertThatThrownBy(() -> baton.inspector().replay(Q, dead.get(0))).isInstanceOf(TaskNotFoundException.class);

    // purge only touches dead letters
    broken.set(false);
    String ok = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    baton.dispatcher().awaitResult(ok, WAIT);
    assertThat(baton.inspector().purge(Q, ok)).isFalse();
    assertThat(baton.inspector().task(Q, ok)).isPresent();
  }

  @Test
  void purgeAllDeletesEveryDeadLetter() throws Exception {
    BatonClient baton = redis.client();
    startWorker(baton);
    List<String> dead = killTasks(baton, 3);

    assertThat(baton.inspector().purgeAll(Q)).isEqualTo(3);

    assertThat(baton.inspector().deadLetterCount(Q)).isZero();
    for (String id : dead) {
      assertThat(baton.inspector().task(Q, id)).isEmpty();
    }
    assertThat(baton.inspector().purgeAll(Q)).isZero();
  }

  @Test
  void janitorKeepsTheNewestDeadLettersUpToTheCap() throws Exception {
    BatonClient baton = redis.client(redis.config().deadLetterCap(3).build());
    Worker worker = startWorker(baton);
    List<String> dead = killTasks(baton, 5);
    worker.close(); // its own janitor must not run meanwhile
    assertThat(baton.inspector().deadLetterCount(Q)).isEqualTo(5);

    new Janitor(baton.broker(), List.of(Q), baton.config().deadLetterCap(), Duration.ofSeconds(30), "janitor",
        Worker.CONSUMER_IDLE_LIMIT).runOnce();

    assertThat(baton.inspector().deadLetters(Q, 0, 10)).extracting(TaskInfo::id)
        .containsExactlyElementsOf(dead.subList(2, 5));
    assertThat(baton.inspector().task(Q, dead.get(0))).isEmpty();
    assertThat(baton.inspector().task(Q, dead.get(1))).isEmpty();
  }

  private Worker startWorker(BatonClient baton) {
    return redis.closeAfter(Worker.builder(baton)
        .handle(Q, ctx -> {
          if (broken.get()) {
            throw new IllegalStateException("broken");
          }
          return "fixed";
        })
        .build()
        .start());
  }

  /** Enqueues {@code n} tasks one after the other, each dead (2 failed attempts) before the next. */
  private List<String> killTasks(BatonClient baton, int n) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = baton.dispatcher().enqueue(TaskRequest.builder(Q)
          .maxAttempts(2)
          .retryPolicy(RetryPolicy.exponential(Duration.ofMillis(1), 1.0, Duration.ofMillis(1)))
          .build()).id();
      assertThat(baton.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.DEAD);
      ids.add(id);
    }
    return ids;
  }
}
