package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.PAYLOAD;
import static dev.baton.LayoutV2Fixture.Q;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.SchedulingScripts.Unpark;
import dev.baton.internal.scripts.SchedulingScripts.Unparked;
import dev.baton.internal.scripts.SchedulingV2Scripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.DependencyUnavailableException;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Parking on layout 2 (docs/hot-path-v2.md): v2/unpark.lua through {@link SchedulingV2Scripts} (a
 * released task goes back to the stream with its attempt state, waves, holds, the max wait, tasks
 * that moved on or lost their payload, the script rules), and a real worker whose dependency is
 * down parks its task without charging an attempt and runs it once the dependency is back.
 */
class LayoutV2ParkingIT {
  @RegisterExtension static final Layout2Extension layout2 = new Layout2Extension();
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String DEP = "db";

  private LayoutV2Fixture v2;
  private SchedulingV2Scripts scheduling;



  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
    scheduling = new SchedulingV2Scripts(redis.client().broker());
  }

  /** Delivers {@code id} and parks it on {@link #DEP}, due for reconsideration now. */
  private Held park(String id, String options) {
    Held held = v2.deliver(A, id, options);
    assertThat(v2.tasks.park(Q, held, DEP, "503 from db", 0, "unavailable").status()).isEqualTo(ScriptStatus.OK);
    assertThat(v2.index(id)).isEqualTo("k");
    return held;
  }

  /** Deletes every key of the test's prefix. */
  private void clear() {
    List<String> keys = v2.raw.keys(redis.prefix() + ":*");
    if (!keys.isEmpty()) {
      v2.raw.del(keys.toArray(String[]::new));
    }
  }

  private static Unpark release(int firstWave) {
    return new Unpark(DEP, true, "g1", firstWave, 60_000, 0, 1_000);
  }

  private static Unpark hold() {
    return new Unpark(DEP, false, "g1", 1, 60_000, 0, 5_000);
  }

  @Test
  void aReleasedTaskGoesBackToTheStreamWithItsAttemptStateAndRunsUnderItsNewToken() {
    park("t-1", "{\"max\":5}");

    Unparked r = scheduling.unpark(Q, release(10), List.of("t-1"));

    assertThat(r.released()).isEqualTo(1);
    assertThat(r.releasedIds()).containsExactly("t-1");
    StreamMessage<String, String> e = v2.read(A, 1).get(0);
    assertThat(e.getBody()).containsEntry("t", "t-1").containsEntry("p", PAYLOAD).containsEntry("o", "{\"max\":5}")
        .containsEntry("a", "2,0,0,0");
    assertThat(v2.index("t-1")).isEqualTo("q2,0,0,0," + e.getId());
    Map<String, String> rec = v2.record("t-1");
    assertThat(rec).containsEntry("st", "queued").containsEntry("pn", "1").doesNotContainKeys("dep", "pr", "pk");
    assertThat(v2.raw.zcard(v2.k.parked(Q))).isZero();
    assertThat(v2.raw.hget(v2.k.parking(Q), "n:" + DEP)).isEqualTo("0");
    assertThat(v2.stat("unparked")).isEqualTo("1");
    assertThat(v2.raw.hget(v2.k.parking(Q), "r:" + DEP)).startsWith("g1,").endsWith(",10,1");

    // the worker's token for the entry is accepted: its success is recorded as attempt 1
    assertThat(v2.succeed(A, "t-1", LayoutV2Fixture.heldOf(e).token())).isEqualTo(ScriptStatus.OK);
    assertThat(v2.raw.get(v2.k.done(Q, "t-1"))).isNotNull();
  }

  @Test
  void aWaveReleasesOnlyItsSizeAndHoldsTheRestUntilTheNextWave() {
    for (String id : List.of("t-1", "t-2", "t-3")) {
      park(id, "");
    }
    long now = v2.redisNow();

    Unparked r = scheduling.unpark(Q, release(1), List.of("t-1", "t-2", "t-3"));

    assertThat(r.released()).isEqualTo(1);
    assertThat(r.held()).isEqualTo(2);
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isEqualTo(1);
    assertThat(v2.raw.zcard(v2.k.parked(Q))).isEqualTo(2);
    assertThat(v2.raw.hget(v2.k.parking(Q), "n:" + DEP)).isEqualTo("2");
    for (String id : List.of("t-2", "t-3")) {
      assertThat(v2.index(id)).isEqualTo("k");
      assertThat(v2.raw.zscore(v2.k.parked(Q), id)).isGreaterThanOrEqualTo(now + 59_000.0);
    }
  }

  @Test
  void holdPushesTheTaskBackAndAPastMaxWaitEndsItAsDead() throws Exception {
    park("t-1", "");
    park("t-2", "{\"mw\":1}");
    Thread.sleep(5);
    BlockingQueue<String> finished = v2.subscribe(v2.k.finishedChannel(Q));

    Unparked r = scheduling.unpark(Q, hold(), List.of("t-1", "t-2"));

    assertThat(r.held()).isEqualTo(1);
    assertThat(r.ended()).isEqualTo(1);
    assertThat(r.endedIds()).containsExactly("t-2");
    assertThat(v2.index("t-1")).isEqualTo("k");
    assertThat(v2.index("t-2")).isEqualTo("x");
    assertThat(v2.record("t-2")).containsEntry("st", "dead").containsKey("ft")
        .hasEntrySatisfying("why", w -> assertThat(w).startsWith("waited longer than its max wait of 1ms"));
    assertThat(v2.raw.zscore(v2.k.dead(Q), "t-2")).isNotNull();
    assertThat(v2.raw.zscore(v2.k.parked(Q), "t-2")).isNull();
    assertThat(v2.raw.hget(v2.k.parking(Q), "n:" + DEP)).isEqualTo("1");
    assertThat(v2.stat("dead")).isEqualTo("1");
    assertThat(finished.poll(5, TimeUnit.SECONDS)).isEqualTo("t-2");
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
  }

  @Test
  void aMemberWhoseTaskMovedOnIsOnlyDroppedAndOneWithoutAPayloadIsDeadLettered() {
    park("t-1", "");
    v2.raw.hset(v2.k.indexBucket(Q, "t-1"), "t-1", "x"); // moved on (written outside Baton)
    Held lost = v2.deliver(A, "t-2", "");
    v2.raw.xdel(v2.k.stream(Q), lost.token()); // the entry deleted before the park: no payload
    v2.tasks.park(Q, lost, DEP, "down", 0, "unavailable");

    Unparked r = scheduling.unpark(Q, release(10), List.of("t-1", "t-2"));

    assertThat(r.released()).isZero();
    assertThat(r.endedIds()).containsExactly("t-2");
    assertThat(v2.record("t-1")).containsEntry("st", "parked"); // left as it was
    assertThat(v2.record("t-2")).containsEntry("st", "dead")
        .hasEntrySatisfying("why", w -> assertThat(w).startsWith("payload lost"));
    assertThat(v2.index("t-2")).isEqualTo("x");
    assertThat(v2.raw.zcard(v2.k.parked(Q))).isZero();
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
  }

  @Test
  void aMemberWithoutARecordIsDeadLetteredThroughTheNoDependencyCall() {
    park("t-1", "");
    v2.raw.del(v2.k.task(Q, "t-1"));

    assertThat(scheduling.parkedDue(Q, 10)).containsEntry("t-1", SchedulingV2Scripts.NO_DEPENDENCY);
    Unparked r = scheduling.unpark(Q,
        new Unpark(SchedulingV2Scripts.NO_DEPENDENCY, false, "", 1, 200, 0, 1_000), List.of("t-1"));

    assertThat(r.endedIds()).containsExactly("t-1");
    assertThat(v2.index("t-1")).isEqualTo("x");
    assertThat(v2.raw.hget(v2.k.parking(Q), "n:" + DEP)).isEqualTo("1"); // its dependency is unknown
    assertThat(v2.raw.hkeys(v2.k.parking(Q))).containsExactly("n:" + DEP);
  }

  @Test
  void aCorruptParkingCountIsStartedAgainInsteadOfFailingTheRelease() {
    park("t-1", "");
    v2.raw.hset(v2.k.parking(Q), "n:" + DEP, "lots");
    v2.raw.hset(v2.k.stats(Q), "unparked", "9999999999999999999999");

    assertThat(scheduling.unpark(Q, release(10), List.of("t-1")).released()).isEqualTo(1);
    assertThat(v2.raw.hget(v2.k.parking(Q), "n:" + DEP)).isEqualTo("0");
    assertThat(v2.stat("unparked")).isEqualTo("1");
  }

  @Test
  void aWrongTypedKeyFailsTheCallAndWritesNothing() {
    for (String key : List.of(v2.k.stream(Q), v2.k.parked(Q), v2.k.parking(Q), v2.k.stats(Q),
        v2.k.indexBucket(Q, "t-1"), v2.k.task(Q, "t-1"))) {
      clear();
      park("t-1", "");
      v2.breakKey(key);
      v2.assertWrongTypeWritesNothing("unpark", key, () -> scheduling.unpark(Q, release(10), List.of("t-1")));
    }
    // dead is written without being read: checked when a task is to end
    clear();
    park("t-2", "{\"mw\":1}");
    v2.breakKey(v2.k.dead(Q));
    v2.assertWrongTypeWritesNothing("unpark", v2.k.dead(Q), () -> scheduling.unpark(Q, hold(), List.of("t-2")));
  }

  @Test
  void aWorkerParksATaskWhoseDependencyIsDownWithoutChargingAnAttemptAndRunsItOnceItIsBack() {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    String queue = "v2park";
    AtomicBoolean down = new AtomicBoolean(true);
    AtomicInteger calls = new AtomicInteger();
    redis.closeAfter(Worker.builder(baton)
        .dependency(DependencyConfig.of(DEP, BreakerConfig.builder().minimumCalls(100_000).build()))
        .releaseWave(Duration.ofMillis(200))
        .handle(queue, HandlerOptions.withConcurrency(2).dependencies(DEP), ctx -> ctx.dependency(DEP).call(() -> {
          calls.incrementAndGet();
          if (down.get()) {
            throw new DependencyUnavailableException(DEP, "503 from db");
          }
          return "done";
        })).build().start());

    baton.dispatcher().enqueue(TaskRequest.builder(queue).id("p-1").maxAttempts(1).build());

    await().atMost(Duration.ofSeconds(15)).until(() -> "k".equals(redis.raw().hget(k.indexBucket(queue, "p-1"), "p-1")));
    Map<String, String> rec = redis.raw().hgetall(k.task(queue, "p-1"));
    assertThat(rec).containsEntry("st", "parked").containsEntry("dep", DEP).containsEntry("att", "0");
    assertThat(rec.get("pr")).contains("503 from db");
    // reconsidered about every second while down, never using up its single attempt
    await().atMost(Duration.ofSeconds(15)).until(() -> calls.get() >= 2);
    assertThat(redis.raw().hget(k.stats(queue), "unparked")).isNotNull();

    down.set(false);
    await().atMost(Duration.ofSeconds(15)).until(() -> redis.raw().get(k.done(queue, "p-1")) != null);
    String done = redis.raw().get(k.done(queue, "p-1"));
    assertThat(done).startsWith("s,").contains(",1,"); // attempt 1: parking charged nothing
    assertThat(redis.raw().zcard(k.parked(queue))).isZero();
    assertThat(redis.raw().hget(k.parking(queue), "n:" + DEP)).isEqualTo("0");
    assertThat(redis.raw().hget(k.indexBucket(queue, "p-1"), "p-1")).isNull();
    assertThat(redis.raw().xlen(k.stream(queue))).isZero();
    assertThat(redis.raw().hget(k.stats(queue), "dead")).isNull();
  }
}
