package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testkit.TcpProxy;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * F10, partition longer than the lease: worker A reaches Redis through a proxy that freezes (every
 * connection stays open, no byte gets through either way) for twice the lease while A runs a long
 * task. Worker B, connected directly, takes the task over and completes it. A's handler is
 * cancelled during the partition, once its lease went unrenewed for the lease less one heartbeat, not when the
 * partition heals; after the thaw nothing A sends is accepted, although its handler ignores the
 * cancellation and returns a result.
 *
 * <p>Protections checked: local lease expiry in the Heartbeater (a task whose lease was not renewed
 * for a whole lease is cancelled even though the renewal is still waiting for an answer: without
 * it the handler runs on until the partition heals, and this test fails on the cancellation time);
 * the recoverer's take-over (else B never completes the task); lease-lost cancellation writing
 * nothing, with the fenced complete.lua behind it (else A's "partitioned result" lands after the
 * thaw).
 */
class PartitionIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "partitioned";
  private static final Duration LEASE = Duration.ofSeconds(1);
  private static final Duration HEARTBEAT = LEASE.dividedBy(3);

  @Test
  void aWorkerCutOffLongerThanItsLeaseIsCancelledAndItsWritesAreRefusedAfterTheThaw() throws Exception {
    BatonClient direct = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    TcpProxy proxy = redis.closeAfter(new TcpProxy(redis.server().port()));
    BatonClient throughProxy = redis.client(redis.config().redisUri(proxy.uri()).build());

    CountDownLatch aStarted = new CountDownLatch(1);
    AtomicLong aCancelledAt = new AtomicLong();
    AtomicReference<String> aCancelReason = new AtomicReference<>();
    CountDownLatch aReturned = new CountDownLatch(1);
    Worker a = redis.closeAfter(Worker.builder(throughProxy)
        .handle(Q, HandlerOptions.withConcurrency(1).lease(LEASE), ctx -> {
          aStarted.countDown();
          try {
            Thread.sleep(Duration.ofSeconds(30));
          } catch (InterruptedException e) {
            aCancelledAt.set(System.nanoTime());
            try {
              ctx.throwIfCancelled();
            } catch (java.util.concurrent.CancellationException c) {
              aCancelReason.set(c.getMessage());
            }
          }
          aReturned.countDown();
          return "partitioned result"; // ignores the cancellation: must not be written
        })
        .build()
        .start());

    String id = direct.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    assertThat(aStarted.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(raw.hget(k.task(Q, id), "own")).isEqualTo(a.consumerName());

    AtomicLong bStartedAt = new AtomicLong();
    AtomicReference<String> bName = new AtomicReference<>();
    Worker b = redis.closeAfter(Worker.builder(direct)
        .recoverInterval(Duration.ofMillis(100))
        .handle(Q, HandlerOptions.withConcurrency(1).lease(LEASE), ctx -> {
          bStartedAt.compareAndSet(0, System.nanoTime());
          return "done by " + bName.get();
        })
        .build());
    bName.set(b.consumerName());
    b.start();

    proxy.freeze();
    long frozenAt = System.nanoTime();

    TaskInfo done = await().atMost(LEASE.multipliedBy(2).plusSeconds(2))
        .until(() -> direct.inspector().task(id), t -> t.state() == TaskState.SUCCEEDED);
    Map<String, String> recordDone = raw.hgetall(k.task(Q, id));
    // A is cancelled while still cut off, a lease (and at most one heartbeat round) after it last renewed
    await().atMost(LEASE.multipliedBy(2)).until(() -> aCancelledAt.get() != 0);
    assertThat(proxy.isFrozen()).isTrue();
    Duration cancelAfter = Duration.ofNanos(aCancelledAt.get() - frozenAt);
    assertThat(cancelAfter).isLessThanOrEqualTo(LEASE.plus(HEARTBEAT).plusMillis(300));
    assertThat(aCancelReason.get()).startsWith("lease expiring");

    await().atMost(LEASE.multipliedBy(3))
        .until(() -> System.nanoTime() - frozenAt > LEASE.multipliedBy(2).toNanos());
    proxy.thaw();
    long thawedAt = System.nanoTime();
    assertThat(aReturned.await(5, TimeUnit.SECONDS)).isTrue();

    // A's connections carry its held commands now: none of its writes is accepted
    await().during(HEARTBEAT.multipliedBy(4)).atMost(HEARTBEAT.multipliedBy(6)).untilAsserted(() -> {
      assertThat(raw.hgetall(k.task(Q, id))).isEqualTo(recordDone);
      assertThat(direct.inspector().task(id)).isEqualTo(done);
    });
    // one successful attempt, B's
    assertThat(done.resultJson()).isEqualTo("\"done by " + b.consumerName() + "\"");
    assertThat(done.history()).hasSize(1);
    assertThat(done.history().get(0).succeeded()).isTrue();
    assertThat(done.history().get(0).worker()).isEqualTo(b.consumerName());
    assertThat(done.deliveries()).isEqualTo(2);
    assertThat(done.attempts()).isEqualTo(1);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(direct.inspector().stats(Q).succeeded()).isEqualTo(1);

    System.out.printf("PartitionIT: frozen %d ms (lease %d ms); B ran it %d ms after the freeze; "
            + "A cancelled %d ms after the freeze%n",
        Duration.ofNanos(thawedAt - frozenAt).toMillis(), LEASE.toMillis(),
        Duration.ofNanos(bStartedAt.get() - frozenAt).toMillis(), cancelAfter.toMillis());
  }
}
