package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.server.Janitor;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** F16: consumers of gone workers are cleaned up, but never one that still holds a task. */
class ConsumerCleanupIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "prune";

  @Test
  void idleConsumersWithoutPendingEntriesAreDeletedAndOnesHoldingTasksAreKept() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    baton.dispatcher().enqueue(TaskRequest.builder(Q).id("held").build());
    // "holder" died holding a task; "empty" read nothing and went away; "janitor" is the caller
    raw.xreadgroup(Consumer.from(Keys.GROUP, "holder"), XReadArgs.Builder.count(1),
        XReadArgs.StreamOffset.lastConsumed(k.stream(Q)));
    raw.xgroupCreateconsumer(k.stream(Q), Consumer.from(Keys.GROUP, "empty"));
    raw.xgroupCreateconsumer(k.stream(Q), Consumer.from(Keys.GROUP, "janitor"));
    Thread.sleep(20); // consumers must be idle longer than the 10 ms limit (Redis-side idle time)

    new Janitor(baton.broker(), List.of(Q), 10_000, Duration.ofSeconds(30), "janitor", Duration.ofMillis(10)).runOnce();

    Map<String, Long> left = raw.xinfoConsumers(k.stream(Q), Keys.GROUP).stream()
        .map(o -> (List<?>) o)
        .collect(Collectors.toMap(c -> (String) c.get(1), c -> (Long) c.get(3)));
    assertThat(left).containsOnlyKeys("holder", "janitor");
    assertThat(left.get("holder")).isEqualTo(1L);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isEqualTo(1);
  }

  @Test
  void recentlyActiveConsumersAreKept() {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    baton.dispatcher().enqueue(TaskRequest.builder(Q).build());
    raw.xgroupCreateconsumer(k.stream(Q), Consumer.from(Keys.GROUP, "fresh"));

    new Janitor(baton.broker(), List.of(Q), 10_000, Duration.ofSeconds(30), "janitor", Duration.ofHours(1)).runOnce();

    assertThat(raw.xinfoConsumers(k.stream(Q), Keys.GROUP)).hasSize(1);
  }
}
