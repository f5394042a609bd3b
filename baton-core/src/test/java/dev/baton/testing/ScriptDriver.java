package dev.baton.testing;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
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
   * Reads up to {@code n} entries of {@code queue} as {@code consumer} and starts them through
   * {@link TaskScripts#start}; returns task id -> {entry id, delivery token} of the started ones,
   * in read order.
   */
  public static Map<String, String[]> startAs(RedisBroker broker, RedisCommands<String, String> raw, String queue,
      String consumer, int n) {
    Keys k = broker.keys();
    List<StreamMessage<String, String>> entries = raw.xreadgroup(Consumer.from(Keys.GROUP, consumer),
        XReadArgs.Builder.count(n), XReadArgs.StreamOffset.lastConsumed(k.stream(queue)));
    List<String> entryIds = new ArrayList<>();
    List<String> taskIds = new ArrayList<>();
    for (StreamMessage<String, String> e : entries) {
      entryIds.add(e.getId());
      taskIds.add(e.getBody().get("t"));
    }
    TaskScripts.StartReplies replies = new TaskScripts(broker).start(queue, consumer, entryIds, taskIds);
    Map<String, String[]> held = new LinkedHashMap<>();
    for (int i = 0; i < replies.size(); i++) {
      if (replies.status(i) == ScriptStatus.OK) {
        Map<String, String> f = replies.record(i);
        held.put(f.get("id"), new String[] {f.get("eid"), f.get("dlv")});
      }
    }
    return held;
  }

  /** The attempt {@code held} (an entry of {@link #startAs}'s map) of task {@code id}. */
  public static TaskScripts.Held attempt(String id, String[] held) {
    return new TaskScripts.Held(id, held[0], held[1]);
  }

  /**
   * Records the successes of tasks {@code ids} of {@code queue} in one {@link TaskScripts#complete}
   * call, each under its attempt in {@code held} (as {@link #startAs} returns them), with a
   * retention of a minute.
   */
  public static TaskScripts.CompleteReplies complete(RedisBroker broker, String queue, List<String> ids,
      Map<String, String[]> held, String resultJson, String attemptRecord) {
    List<TaskScripts.Succeeded> successes = new ArrayList<>();
    for (String id : ids) {
      successes.add(new TaskScripts.Succeeded(attempt(id, held.get(id)), resultJson, attemptRecord));
    }
    return broker.await(new TaskScripts(broker).complete(queue, 60_000, successes));
  }
}
