package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway of layout v2's {@code v2/enqueue.lua} (docs/hot-path-v2.md): the only code that knows
 * its KEYS/ARGV layout and reply shape. Not yet used by the dispatcher. Asynchronous, so a batch
 * of calls is pipelined. Thread-safe.
 */
public final class EnqueueV2Scripts {
  private static final int KEYS_FIXED = 4;
  private static final int KEYS_PER_TASK = 4;
  private static final int ARGS_FIXED = 2;
  private static final int ARGS_PER_TASK = 6;

  private final RedisBroker broker;
  private final Keys keys;

  public EnqueueV2Scripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * One task to create.
   *
   * @param optionsJson a JSON object of the task's non-default options, {@code ""} for none
   * @param delayMillis relative to Redis time, 0 for none
   * @param runAtMillis epoch ms, 0 for none (wins over the delay)
   * @param dedupKey {@code ""} for none
   */
  public record NewTask(String id, String payloadJson, String optionsJson, long delayMillis, long runAtMillis,
      String dedupKey) {}

  /**
   * Creates {@code tasks} of {@code queue} in one call, in order, each atomically and as if alone
   * (idempotent on its id). The future fails as the call does; nothing is retried here.
   */
  public CompletableFuture<EnqueueScripts.Replies> enqueue(String queue, List<NewTask> tasks, long dedupWindowMillis) {
    int n = tasks.size();
    String[] keyNames = new String[KEYS_FIXED + KEYS_PER_TASK * n];
    String[] args = new String[ARGS_FIXED + ARGS_PER_TASK * n];
    keyNames[0] = keys.stream(queue);
    keyNames[1] = keys.delayed(queue);
    keyNames[2] = keys.stats(queue);
    keyNames[3] = keys.layout(queue);
    args[0] = Keys.GROUP;
    args[1] = Long.toString(dedupWindowMillis);
    for (int j = 0; j < n; j++) {
      NewTask t = tasks.get(j);
      int k = KEYS_FIXED + KEYS_PER_TASK * j;
      keyNames[k] = keys.indexBucket(queue, t.id());
      keyNames[k + 1] = keys.done(queue, t.id());
      keyNames[k + 2] = keys.task(queue, t.id());
      keyNames[k + 3] = keys.dedup(queue, t.dedupKey());
      int a = ARGS_FIXED + ARGS_PER_TASK * j;
      args[a] = t.id();
      args[a + 1] = t.payloadJson();
      args[a + 2] = t.optionsJson();
      args[a + 3] = Long.toString(t.delayMillis());
      args[a + 4] = Long.toString(t.runAtMillis());
      args[a + 5] = t.dedupKey();
    }
    return ScriptErrors.typed(broker.<List<Object>>run(Script.ENQUEUE_V2, keyNames, args))
        .thenApply(raw -> new EnqueueScripts.Replies(raw, Script.ENQUEUE_V2));
  }
}
