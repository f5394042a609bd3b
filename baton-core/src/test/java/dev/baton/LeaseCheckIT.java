package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.ManualLoops;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.SettableClock;
import dev.baton.testkit.TcpProxy;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The heartbeat's own lease check, on the worker's clock: a task whose lease could not be renewed
 * for the lease minus one heartbeat interval is cancelled by its worker, before Redis could hand it
 * to another one, and nothing is written for it. Renewals are real (a real Redis behind a proxy that
 * freezes to cut the worker off); the time the worker counts is a {@link SettableClock}, and the
 * heartbeat rounds are run by hand, so the cancellation comes at the exact instant, not a sleep later.
 *
 * <p>PartitionIT checks the same end to end, with a real partition and another worker taking over.
 */
class LeaseCheckIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "lease-check";
  private static final Duration LEASE = Duration.ofMillis(900);
  /** The lease minus one heartbeat interval (a third of the lease). */
  private static final Duration LIMIT = Duration.ofMillis(600);

  @Test
  void aTaskWhoseLeaseWentUnrenewedForTheLeaseMinusAHeartbeatIsCancelledAtThatInstantAndWritesNothing()
      throws Exception {
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    TcpProxy proxy = redis.closeAfter(new TcpProxy(redis.server().port()));
    BatonClient direct = redis.client();
    BatonClient throughProxy = redis.client(redis.config().redisUri(proxy.uri()).build());
    SettableClock clock = new SettableClock();
    CountDownLatch running = new CountDownLatch(1);
    AtomicReference<String> cancelReason = new AtomicReference<>();
    CountDownLatch returned = new CountDownLatch(1);
    Worker worker = redis.closeAfter(Worker.builder(throughProxy)
        .clock(clock)
        .manualLoops()
        .handle(Q, HandlerOptions.withConcurrency(1).lease(LEASE), ctx -> {
          running.countDown();
          try {
            Thread.sleep(Duration.ofSeconds(30));
          } catch (InterruptedException e) {
            try {
              ctx.throwIfCancelled();
            } catch (java.util.concurrent.CancellationException c) {
              cancelReason.set(c.getMessage());
            }
          }
          returned.countDown();
          return "unrenewed result"; // ignores the cancellation: must not be written
        })
        .build()
        .start());
    ManualLoops loops = worker.manualLoops();
    assertThat(HandlerOptions.withConcurrency(1).lease(LEASE).heartbeatInterval()).isEqualTo(LEASE.minus(LIMIT));

    String id = direct.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

    // while Redis answers, each round renews the lease: the check never fires, however much time passes
    for (int i = 0; i < 3; i++) {
      clock.advance(LIMIT);
      assertThat(loops.runHeartbeatsOnce()).isEqualTo(LEASE.minus(LIMIT));
    }
    assertThat(cancelReason.get()).isNull();
    assertThat(worker.inFlight()).isEqualTo(1);

    // cut off: renewals go unanswered; the last answered one was sent at the clock's current instant
    proxy.freeze();
    assertThatThrownBy(loops::runHeartbeatsOnce).isInstanceOf(RedisUnavailableException.class)
        .hasMessageContaining("unanswered");
    clock.advance(LIMIT);
    assertThatThrownBy(loops::runHeartbeatsOnce).isInstanceOf(RedisUnavailableException.class);
    assertThat(cancelReason.get()).as("not renewed for exactly the limit: still running").isNull();
    assertThat(worker.inFlight()).isEqualTo(1);

    clock.advance(Duration.ofMillis(1));
    assertThatThrownBy(loops::runHeartbeatsOnce).isInstanceOf(RedisUnavailableException.class);
    assertThat(returned.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(cancelReason.get()).isEqualTo("lease expiring: not renewed for 600ms");

    // back in touch: the cancelled attempt wrote nothing; the task is still this worker's in Redis
    // (no one took it over: no recoverer ran), to be recovered like any task whose holder vanished
    proxy.thaw();
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.inFlight() == 0);
    Map<String, String> record = raw.hgetall(k.task(Q, id));
    assertThat(record).containsEntry("st", "running").containsEntry("own", worker.consumerName())
        .doesNotContainKey("r").doesNotContainKey("ft");
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isEqualTo(1);
    assertThat(direct.inspector().stats(Q).succeeded()).isZero();
    assertThat(direct.inspector().task(id).history()).isEmpty();
  }
}
