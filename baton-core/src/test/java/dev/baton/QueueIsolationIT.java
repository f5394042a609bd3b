package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.server.Recoverer;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Range;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One queue whose keys Redis refuses (here: keys of the wrong type) does not stop the background
 * loops from serving the other queues, and the read side lists the others. The broken queue comes
 * first in every list, so a loop that stopped at it would never reach the healthy one.
 */
class QueueIsolationIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String BROKEN = "a-broken";
  private static final String HEALTHY = "b-healthy";

  @Test
  void theHealthyQueuesScheduledTaskIsPromotedInThePassThatMeetsTheBrokenQueue() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    raw.set(k.delayed(BROKEN), "not a sorted set");
    raw.set(k.dead(BROKEN), "not a sorted set");
    raw.set(k.parked(BROKEN), "not a sorted set");
    Worker worker = redis.closeAfter(Worker.builder(baton)
        .manualLoops()
        .handle(BROKEN, ctx -> "never runs")
        .handle(HEALTHY, ctx -> "done")
        .build()
        .start());
    String id = baton.dispatcher()
        .enqueue(TaskRequest.builder(HEALTHY).payloadJson("{}").delay(Duration.ofMillis(1)).build())
        .id();
    // due on the Redis clock (due times are server time), not yet promoted: no loop runs by itself
    await().atMost(Duration.ofSeconds(5))
        .until(() -> raw.zcount(k.delayed(HEALTHY), Range.create(0, serverMillis(raw))) == 1);
    assertThat(baton.inspector().task(id).state()).isEqualTo(TaskState.SCHEDULED);

    assertThatCode(() -> worker.manualLoops().runPromoterOnce()).doesNotThrowAnyException();

    assertThat(raw.zcard(k.delayed(HEALTHY))).as("promoted in that one pass").isZero();
    assertThat(baton.dispatcher().awaitResult(id, Duration.ofSeconds(10)).state()).isEqualTo(TaskState.SUCCEEDED);
    // the others skip the broken queue too instead of failing the pass
    assertThatCode(() -> worker.manualLoops().runJanitorOnce()).doesNotThrowAnyException();
    assertThatCode(() -> worker.manualLoops().runUnparkerOnce()).doesNotThrowAnyException();
    assertThat(raw.type(k.delayed(BROKEN))).as("the broken key is left as it is").isEqualTo("string");
  }

  @Test
  void theRecovererSkipsAQueueWhoseStreamIsNotAStream() {
    Keys k = new Keys(redis.prefix());
    redis.raw().set(k.stream(BROKEN), "not a stream");
    Recoverer recoverer = new Recoverer(redis.client().broker(),
        List.of(new Recoverer.Target(BROKEN, Duration.ofSeconds(15), 5),
            new Recoverer.Target(HEALTHY, Duration.ofSeconds(15), 5)),
        Duration.ofSeconds(1));

    assertThatCode(recoverer::runOnce).doesNotThrowAnyException();
  }

  @Test
  void statsAndDeadLetterListingsFlagTheUnreadableAndListTheRest() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    baton.dispatcher().enqueue(TaskRequest.builder(BROKEN).payloadJson("{}").build());
    baton.dispatcher().enqueue(TaskRequest.builder(HEALTHY).payloadJson("{}").build());
    raw.hset(k.stats(BROKEN), "succeeded", "abc");

    List<QueueStats> stats = baton.inspector().stats();
    assertThat(stats).extracting(QueueStats::agentType).containsExactly(BROKEN, HEALTHY);
    assertThat(stats.get(0).malformed()).contains("not an integer").contains("abc");
    assertThat(stats.get(1).isMalformed()).isFalse();
    assertThat(stats.get(1).queued()).isEqualTo(1);

    // two dead letters by hand: one readable, one whose state is unknown, one whose key is not a hash
    raw.hset(k.task(HEALTHY, "ok-1"), java.util.Map.of("id", "ok-1", "q", HEALTHY, "st", "dead", "why", "w"));
    raw.hset(k.task(HEALTHY, "bad-1"), java.util.Map.of("id", "bad-1", "q", HEALTHY, "st", "zombie", "why", "w2"));
    raw.set(k.task(HEALTHY, "bad-2"), "not a hash");
    raw.zadd(k.dead(HEALTHY), 1, "bad-1");
    raw.zadd(k.dead(HEALTHY), 2, "ok-1");
    raw.zadd(k.dead(HEALTHY), 3, "bad-2");

    List<TaskInfo> dead = baton.inspector().deadLetters(HEALTHY, 0, 10);
    assertThat(dead).extracting(TaskInfo::id).containsExactly("bad-1", "ok-1", "bad-2");
    assertThat(dead.get(0).malformed()).contains("zombie");
    assertThat(dead.get(0).deadReason()).isEqualTo("w2");
    assertThat(dead.get(1).isMalformed()).isFalse();
    assertThat(dead.get(2).malformed()).contains("WRONGTYPE");
  }

  private static long serverMillis(RedisCommands<String, String> raw) {
    List<String> t = raw.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }
}
