package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.testing.RedisExtension;
import dev.baton.testkit.TcpProxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reply to a worker's {@code start} is held up on the wire for twice the lease: Redis started
 * the task for it, but by the time the worker hears so, another worker's recoverer has taken the
 * task over and run it. The late worker must not run the handler as well: a lease counts from the
 * reply of the read that delivered the entry, and a start answered past the lease minus a heartbeat
 * is given back (fenced: here it was taken over, so nothing changes) instead of run.
 *
 * <p>Protection checked: the age check at dispatch (without it the late worker starts the handler
 * on a task another worker is running; its writes would be refused, but the work runs twice).
 */
class LateStartReplyIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "latestart";

  @Test
  void aWorkerWhoseStartReplyCameAfterItsLeaseDoesNotRunTheTask() throws Exception {
    try (TcpProxy proxy = new TcpProxy(redis.server().port())) {
      BatonClient direct = redis.client();
      BatonClient viaProxy = redis.client(redis.config().redisUri(proxy.uri()).build());
      List<String> ranOn = new CopyOnWriteArrayList<>();
      HandlerOptions options = HandlerOptions.withConcurrency(2).lease(Duration.ofSeconds(1));
      Worker late = redis.closeAfter(Worker.builder(viaProxy).consumerName("late")
          .recoverInterval(Duration.ofSeconds(60)) // only the other worker recovers
          .handle(Q, options, ctx -> ranOn.add("late")).build().start());
      var raw = redis.raw();
      await().atMost(Duration.ofSeconds(10)).until(() -> raw.clientList().contains("cmd=xreadgroup"));

      // only the start reply carries the payload (stream entries hold just the id)
      proxy.delayNextReplyContaining("held-up-start", Duration.ofSeconds(2));
      direct.dispatcher().enqueue(TaskRequest.builder(Q).id("slow-1").payloadJson("{\"m\":\"held-up-start\"}").build());
      await().atMost(Duration.ofSeconds(10)).until(() -> "running".equals(raw.hget(redis.prefix() + ":{" + Q
          + "}:task:slow-1", "st")));

      redis.closeAfter(Worker.builder(direct).consumerName("other").recoverInterval(Duration.ofMillis(100))
          .handle(Q, options, ctx -> ranOn.add("other")).build().start());
      TaskInfo done = direct.dispatcher().awaitResult("slow-1", Duration.ofSeconds(20));
      assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);

      // the late worker's fetch loop ends only once its held-up start reply has arrived and been
      // dealt with, and its shutdown waits for any handler it started: after it, it did not run the task
      late.close(); // while the proxy still runs
      assertThat(ranOn).containsExactly("other");
      assertThat(direct.inspector().task("slow-1").deliveries()).isEqualTo(2);
    }
  }
}
