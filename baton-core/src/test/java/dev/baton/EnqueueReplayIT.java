package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.RedisExtension;
import dev.baton.testkit.TcpProxy;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reply to an enqueue is lost after Redis ran it; the client reconnects and re-sends the same
 * script call. The task must exist once, with one stream entry.
 */
class EnqueueReplayIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @Test
  void aReplayedEnqueueCreatesNoSecondTask() throws Exception {
    try (TcpProxy proxy = new TcpProxy(redis.server().port())) {
      BatonClient baton = redis.client(redis.config().redisUri(proxy.uri()).commandTimeout(Duration.ofSeconds(5)).build());
      // warm up: scripts loaded, queue registered
      baton.dispatcher().enqueue(TaskRequest.builder("replay").id("warm-up").build());
      int before = proxy.connections();

      proxy.swallowNextReplyAndCut();
      EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder("replay").id("t-1").payloadJson("{}").build());

      assertThat(proxy.connections()).as("the client reconnected").isGreaterThan(before);
      assertThat(r.id()).isEqualTo("t-1");
      // the first execution created the task; the replay found it and wrote nothing
      assertThat(r.created()).isFalse();
      assertThat(r.state()).isEqualTo(TaskState.QUEUED);
      assertThat(redis.raw().xlen(redis.prefix() + ":{replay}:stream")).isEqualTo(2);
      assertThat(redis.raw().hget(redis.prefix() + ":{replay}:stats", "enqueued")).isEqualTo("2");
    }
  }
}
