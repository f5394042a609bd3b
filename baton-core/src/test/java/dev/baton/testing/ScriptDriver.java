package dev.baton.testing;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Drives the lifecycle scripts by hand, as a worker would, for tests of the scripts themselves. */
public final class ScriptDriver {
  private ScriptDriver() {}

  /**
   * Reads up to {@code n} entries of {@code queue} as {@code consumer} and runs start.lua for them;
   * returns task id -> {entry id, delivery token}, in read order.
   */
  public static Map<String, String[]> startAs(RedisBroker broker, RedisCommands<String, String> raw, String queue,
      String consumer, int n) {
    Keys k = broker.keys();
    List<StreamMessage<String, String>> entries = raw.xreadgroup(Consumer.from(Keys.GROUP, consumer),
        XReadArgs.Builder.count(n), XReadArgs.StreamOffset.lastConsumed(k.stream(queue)));
    List<String> keys = new ArrayList<>(List.of(k.stream(queue), k.dead(queue), k.stats(queue)));
    List<String> args = new ArrayList<>(List.of(Keys.GROUP, consumer, k.finishedChannel(queue)));
    for (StreamMessage<String, String> e : entries) {
      keys.add(k.task(queue, e.getBody().get("t")));
      args.add(e.getId());
      args.add(e.getBody().get("t"));
    }
    broker.runSync(Script.START, keys.toArray(String[]::new), args.toArray(String[]::new));
    Map<String, String[]> held = new LinkedHashMap<>();
    for (StreamMessage<String, String> e : entries) {
      String id = e.getBody().get("t");
      held.put(id, new String[] {e.getId(), raw.hget(k.task(queue, id), "dlv")});
    }
    return held;
  }
}
