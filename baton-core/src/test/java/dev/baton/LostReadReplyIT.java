package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testkit.TcpProxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * F13: the reply to a worker's XREADGROUP is lost on the wire after Redis delivered the entry to
 * it. The entry sits in that worker's pending list, unseen; once its lease runs out a recoverer
 * hands it out again, and the task runs once.
 */
class LostReadReplyIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "lostread";

  @Test
  void anEntryWhoseReadReplyWasLostIsRecoveredAndRunsOnce() throws Exception {
    try (TcpProxy proxy = new TcpProxy(redis.server().port())) {
      BatonClient direct = redis.client();
      BatonClient viaProxy = redis.client(redis.config().redisUri(proxy.uri()).build());
      List<String> ranOn = new CopyOnWriteArrayList<>();
      HandlerOptions options = HandlerOptions.withConcurrency(2).lease(Duration.ofSeconds(1));
      Worker a = (Worker.builder(viaProxy).consumerName("a-behind-proxy")
          .handle(Q, options, ctx -> ranOn.add("a")).build().start());
      assertThat(a.consumerName()).isEqualTo("a-behind-proxy");
      // wait until a's reader is blocked on the stream, so the next delivery goes to it
      var raw = redis.raw();
      await().atMost(Duration.ofSeconds(10)).until(() -> raw.clientList().contains("cmd=xreadgroup"));

      proxy.swallowNextReplyContainingAndCut("lost-1");
      direct.dispatcher().enqueue(TaskRequest.builder(Q).id("lost-1").build());

      // the entry went to a, which never saw it: pending, record still queued
      Keys k = new Keys(redis.prefix());
      await().atMost(Duration.ofSeconds(10)).until(() -> raw.xpending(k.stream(Q), Keys.GROUP).getCount() == 1);
      assertThat(raw.hget(k.task(Q, "lost-1"), "st")).isEqualTo("queued");

      // a second worker's recoverer takes it over after the lease; someone runs it, once
      redis.closeAfter(Worker.builder(direct).consumerName("b-direct").recoverInterval(Duration.ofMillis(200))
          .handle(Q, options, ctx -> ranOn.add("b")).build().start());
      TaskInfo done = direct.dispatcher().awaitResult("lost-1", Duration.ofSeconds(20));
      assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(ranOn).hasSize(1);
      assertThat(done.attempts()).isEqualTo(1);
      assertThat(raw.hget(k.stats(Q), "recovered")).isEqualTo("1");
      a.close(); // while the proxy still runs
    }
  }
}
