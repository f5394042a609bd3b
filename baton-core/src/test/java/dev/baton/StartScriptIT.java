package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Seeds state, runs start.lua directly, asserts the whole resulting state. */
class StartScriptIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private List<Object> start(RedisBroker broker, Keys k, String q, List<StreamMessage<String, String>> entries) {
    List<String> keys = new java.util.ArrayList<>(List.of(k.stream(q), k.dead(q), k.stats(q)));
    List<String> args = new java.util.ArrayList<>(List.of(Keys.GROUP, "c1", k.finishedChannel(q)));
    for (StreamMessage<String, String> e : entries) {
      keys.add(k.task(q, e.getBody().get("t")));
      args.add(e.getId());
      args.add(e.getBody().get("t"));
    }
    return broker.runSync(Script.START, keys.toArray(String[]::new), args.toArray(String[]::new));
  }

  private List<StreamMessage<String, String>> read(RedisCommands<String, String> raw, Keys k, String q) {
    return raw.xreadgroup(Consumer.from(Keys.GROUP, "c1"), XReadArgs.Builder.count(10),
        XReadArgs.StreamOffset.lastConsumed(k.stream(q)));
  }

  @Test
  void aRepeatedStartCallAnswersTheSameAndCountsOneDelivery() {
    BatonClient baton = redis.client();
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    Keys k = broker.keys();
    RedisCommands<String, String> raw = redis.raw();
    baton.dispatcher().enqueue(TaskRequest.builder("s").id("a").build());
    List<StreamMessage<String, String>> entries = read(raw, k, "s");

    List<Object> first = start(broker, k, "s", entries);
    List<Object> again = start(broker, k, "s", entries);

    assertThat(((List<?>) first.get(0)).get(0)).isEqualTo(1L);
    assertThat(((List<?>) again.get(0)).get(0)).isEqualTo(1L);
    assertThat(raw.hget(k.task("s", "a"), "dlv")).isEqualTo("1");
    assertThat(raw.hget(k.task("s", "a"), "att")).isEqualTo("1");
    assertThat(raw.hget(k.task("s", "a"), "st")).isEqualTo("running");
    assertThat(raw.xpending(k.stream("s"), Keys.GROUP).getCount()).isEqualTo(1);
    assertThat(raw.xlen(k.stream("s"))).isEqualTo(1);
  }

  @Test
  void aMalformedRecordIsDeadLetteredWithoutBreakingTheBatch() {
    BatonClient baton = redis.client();
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    Keys k = broker.keys();
    RedisCommands<String, String> raw = redis.raw();
    baton.dispatcher().enqueue(TaskRequest.builder("s").id("bad").build());
    baton.dispatcher().enqueue(TaskRequest.builder("s").id("good").build());
    raw.hset(k.task("s", "bad"), "max", "three");
    List<StreamMessage<String, String>> entries = read(raw, k, "s");

    List<Object> r = start(broker, k, "s", entries);

    assertThat(((List<?>) r.get(0)).get(0)).isEqualTo(-1L);
    assertThat(((List<?>) r.get(0)).get(1)).isEqualTo("malformed task: att, dlv or max is not a number");
    assertThat(((List<?>) r.get(1)).get(0)).isEqualTo(1L);
    assertThat(raw.hget(k.task("s", "bad"), "st")).isEqualTo("dead");
    assertThat(raw.zscore(k.dead("s"), "bad")).isNotNull();
    assertThat(raw.hget(k.task("s", "good"), "st")).isEqualTo("running");
    // only the started task's entry is still pending
    assertThat(raw.xpending(k.stream("s"), Keys.GROUP).getCount()).isEqualTo(1);
  }
}
