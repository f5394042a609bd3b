package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testkit.TcpProxy;
import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The worker's hot path on layout 2 (docs/hot-path-v2.md), selected with the transitional system
 * property {@code baton.layout=2}: tasks enqueued run once and end as finished values, a failure is
 * retried from its record, a delivery abandoned by a worker that vanished is taken over ahead of the
 * queue and completed, tasks given back at shutdown are claimed by the next worker, and a worker
 * cut off while it isolates a suspect holds the queue's isolation lock no longer than a lease.
 */
class LayoutV2WorkerIT {
  @RegisterExtension static final Layout2Extension layout2 = new Layout2Extension();
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "v2w";



  @Test
  void everyTaskRunsOnceAndEndsAsAFinishedValue() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    Worker worker = redis.closeAfter(Worker.builder(baton)
        .handle(Q, HandlerOptions.DEFAULT.concurrency(20), ctx -> {
          runs.computeIfAbsent(ctx.taskId(), id -> new AtomicInteger()).incrementAndGet();
          return Map.of("echo", ctx.taskId());
        }).build().start());
    List<TaskRequest> requests = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      requests.add(TaskRequest.builder(Q).id("t-" + i).payloadJson("{\"n\":" + i + "}").build());
    }
    baton.dispatcher().enqueueAll(requests);

    await().atMost(Duration.ofSeconds(30)).until(() -> "300".equals(raw.hget(k.stats(Q), "succeeded")));
    assertThat(runs).hasSize(300);
    assertThat(runs.values()).allMatch(n -> n.get() == 1);
    String done = raw.get(k.done(Q, "t-7"));
    assertThat(done).startsWith("s,").matches("s,\\d+,1,,\\d+\\|.*").endsWith("{\"echo\":\"t-7\"}");
    assertThat(raw.xlen(k.stream(Q))).isZero();
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.keys(redis.prefix() + ":{" + Q + "}:ix:*")).isEmpty();
    assertThat(raw.keys(redis.prefix() + ":{" + Q + "}:task:*")).isEmpty();
    assertThat(baton.dispatcher().enqueue(TaskRequest.builder(Q).id("t-7").build()).created()).isFalse();
  }

  @Test
  void aFailedAttemptIsRetriedFromItsRecordAndTheRecordKeepsItsHistory() {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    AtomicInteger calls = new AtomicInteger();
    redis.closeAfter(Worker.builder(baton).promoteInterval(Duration.ofMillis(50))
        .handle(Q, HandlerOptions.DEFAULT.retryPolicy(RetryPolicy.exponential(Duration.ofMillis(10), 2.0,
            Duration.ofMillis(10))), ctx -> {
          if (calls.incrementAndGet() == 1) {
            throw new IllegalStateException("first try fails");
          }
          return Map.of("attempt", ctx.attempt());
        }).build().start());

    baton.dispatcher().enqueue(TaskRequest.builder(Q).id("r-1").payloadJson("{\"x\":1}").maxAttempts(4).build());

    await().atMost(Duration.ofSeconds(20)).until(() -> raw.get(k.done(Q, "r-1")) != null);
    assertThat(raw.get(k.done(Q, "r-1"))).endsWith("{\"attempt\":2}");
    Map<String, String> rec = raw.hgetall(k.task(Q, "r-1"));
    assertThat(rec).containsEntry("st", "succeeded").containsEntry("att", "1").containsEntry("o", "{\"max\":4}");
    assertThat(rec.get("hist")).contains("first try fails");
    assertThat(raw.pttl(k.task(Q, "r-1"))).isPositive();
    assertThat(raw.hget(k.stats(Q), "retried")).isEqualTo("1");
  }

  @Test
  void aDeliveryAbandonedByAVanishedWorkerIsTakenOverAheadOfTheQueue() {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    baton.dispatcher().enqueue(TaskRequest.builder(Q).id("lost-1").build());
    new dev.baton.internal.scripts.EnqueueV2Scripts(baton.broker()).ensureQueue(Q);
    // a worker that read the entry and vanished: it never renews nor answers
    raw.xreadgroup(Consumer.from(Keys.GROUP, "ghost"), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)));
    Set<String> ran = ConcurrentHashMap.newKeySet();
    redis.closeAfter(Worker.builder(baton).recoverInterval(Duration.ofMillis(200))
        .handle(Q, HandlerOptions.DEFAULT.lease(Duration.ofMillis(600)), ctx -> {
          ran.add(ctx.taskId() + "@" + ctx.attempt());
          return null;
        }).build().start());

    await().atMost(Duration.ofSeconds(20)).until(() -> raw.get(k.done(Q, "lost-1")) != null);
    assertThat(ran).containsExactly("lost-1@1"); // uncounted: still attempt 1
    assertThat(raw.hget(k.stats(Q), "recovered")).isEqualTo("1");
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
  }

  @Test
  void tasksStillRunningAtTheEndOfTheGraceAreGivenBackAndClaimedByTheNextWorker() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    CountDownLatch started = new CountDownLatch(2);
    Worker first = Worker.builder(baton).shutdownGrace(Duration.ofMillis(200))
        .handle(Q, HandlerOptions.DEFAULT.concurrency(2), ctx -> {
          started.countDown();
          Thread.sleep(60_000);
          return null;
        }).build().start();
    baton.dispatcher().enqueueAll(List.of(TaskRequest.builder(Q).id("s-1").build(),
        TaskRequest.builder(Q).id("s-2").build()));
    assertThat(started.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();

    first.shutdown(Duration.ofMillis(200));

    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getConsumerMessageCount()).containsEntry("~released", 2L);
    Set<String> ran = ConcurrentHashMap.newKeySet();
    redis.closeAfter(Worker.builder(baton).handle(Q, ctx -> {
      ran.add(ctx.taskId() + "@" + ctx.attempt());
      return null;
    }).build().start());
    await().atMost(Duration.ofSeconds(20)).until(() -> raw.get(k.done(Q, "s-1")) != null
        && raw.get(k.done(Q, "s-2")) != null);
    assertThat(ran).containsExactlyInAnyOrder("s-1@1", "s-2@1");
  }

  /**
   * Worker A, behind a proxy, takes the isolation lock for a waiting suspect, runs it alone, and is
   * cut off (the proxy freezes). The suspect's lease runs out and it waits under '~suspect' again;
   * worker B must be able to take the lock and run it about a lease later. The lock lasted the lease
   * plus 60 s before (cycle.lua's ARGV[8] from CycleFetch), so a worker killed or cut off while
   * isolating held back every suspect of the queue for a minute (the chaos suite on layout 2 saw
   * redeliveries of 2 minutes).
   */
  @Test
  void aWorkerCutOffWhileIsolatingASuspectHoldsTheLockNoLongerThanALease() throws Exception {
    BatonClient direct = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    Duration lease = Duration.ofMillis(600);
    direct.dispatcher().enqueue(TaskRequest.builder(Q).id("sus-1").build());
    new dev.baton.internal.scripts.EnqueueV2Scripts(direct.broker()).ensureQueue(Q);
    // a suspect: two deliveries ended without an outcome; it waits under ~suspect
    String eid = raw.hget(k.indexBucket(Q, "sus-1"), "sus-1");
    raw.xreadgroup(Consumer.from(Keys.GROUP, "ghost"), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)));
    raw.xclaim(k.stream(Q), Consumer.from(Keys.GROUP, "~suspect"), 0, eid);
    raw.hset(k.indexBucket(Q, "sus-1"), "sus-1", "q3,0,2,0," + eid);
    String lock = k.queuePrefix(Q) + "isolating";

    TcpProxy proxy = redis.closeAfter(new TcpProxy(redis.server().port()));
    BatonClient throughProxy = redis.client(redis.config().redisUri(proxy.uri()).build());
    CountDownLatch aRuns = new CountDownLatch(1);
    Worker a = redis.closeAfter(Worker.builder(throughProxy)
        .handle(Q, HandlerOptions.withConcurrency(2).lease(lease), ctx -> {
          aRuns.countDown();
          Thread.sleep(30_000);
          return null;
        }).build().start());
    assertThat(aRuns.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(raw.zrange(lock, 0, -1)).containsExactly(a.consumerName());
    assertThat(raw.pttl(lock)).isBetween(1L, lease.toMillis());

    proxy.freeze();
    long frozenAt = System.nanoTime();
    Set<String> ran = ConcurrentHashMap.newKeySet();
    redis.closeAfter(Worker.builder(direct).recoverInterval(Duration.ofMillis(100))
        .handle(Q, HandlerOptions.withConcurrency(2).lease(lease), ctx -> {
          ran.add(ctx.taskId());
          return null;
        }).build().start());

    await().atMost(Duration.ofSeconds(15)).until(() -> raw.get(k.done(Q, "sus-1")) != null);
    assertThat(Duration.ofNanos(System.nanoTime() - frozenAt)).isLessThan(Duration.ofSeconds(10));
    assertThat(ran).containsExactly("sus-1");
    assertThat(raw.get(k.done(Q, "sus-1"))).startsWith("s,"); // B's success (A's handler never returned)
    proxy.thaw();
  }
}
