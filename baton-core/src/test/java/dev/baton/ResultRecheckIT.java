package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An awaited result whose terminal event was missed (here: never published, as when Pub/Sub was
 * reconnecting) is found by the client's once-a-second re-read, on the client's clock: a {@link
 * SettableClock} shows it comes exactly one second on, not before.
 */
class ResultRecheckIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "recheck";

  @Test
  void aMissedTerminalEventIsFoundByTheRereadOneSecondOnTheClientsClock() throws Exception {
    SettableClock clock = new SettableClock();
    BatonClient baton = redis.closeAfter(BatonClient.connect(redis.config().build(), JsonCodec.jackson(), clock));
    Keys k = new Keys(redis.prefix());
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    Instant awaitedAt = clock.instant();
    CompletableFuture<TaskInfo> result = baton.dispatcher().result(id);
    assertThat(result).isNotDone();
    assertThat(clock.pendingDue()).containsExactly(awaitedAt.plusSeconds(1));

    // the task ends without its event reaching this client
    redis.raw().hset(k.task(Q, id), java.util.Map.of("st", "succeeded", "r", "\"quietly\""));
    clock.advance(Duration.ofMillis(999));
    assertThat(result).isNotDone();

    clock.advance(Duration.ofMillis(1));
    TaskInfo done = result.get(5, TimeUnit.SECONDS);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"quietly\"");
    assertThat(clock.pendingDue()).as("the re-read keeps its once-a-second pace").containsExactly(awaitedAt.plusSeconds(2));
  }
}
