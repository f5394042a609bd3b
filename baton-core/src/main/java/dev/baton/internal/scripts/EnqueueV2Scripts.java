package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway of layout v2's {@code v2/enqueue.lua} (docs/hot-path-v2.md): the only code that knows
 * its KEYS/ARGV layout and reply shape. Used when the process runs layout 2 (Layout). Asynchronous, so a batch
 * of calls is pipelined. Thread-safe.
 */
public final class EnqueueV2Scripts {
  private static final int KEYS_FIXED = 4;
  private static final int ARGS_FIXED = 3;
  private static final int ARGS_PER_TASK = 3;
  /** The attempt budget a task without a {@code max} option has (TaskRequest's default). */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

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

  /** The task's extras argument: empty for the common task, else delay|run-at|dedup|options. */
  private static String extras(NewTask t) {
    if (t.delayMillis() == 0 && t.runAtMillis() == 0 && t.dedupKey().isEmpty() && t.optionsJson().isEmpty()) {
      return "";
    }
    return t.delayMillis() + "|" + t.runAtMillis() + "|" + t.dedupKey() + "|" + t.optionsJson();
  }

  /**
   * Makes sure {@code queue} exists in layout 2 (stream, group, marker) before a worker reads it;
   * true when it was created here. Fails when the queue holds layout-1 data.
   */
  public boolean ensureQueue(String queue) {
    Long created = ScriptErrors.typed(() -> broker.runSync(Script.QUEUE_V2,
        new String[] {keys.stream(queue), keys.layout(queue)}, Keys.GROUP));
    return created == 1;
  }

  /** A task of layout 1's shape in layout 2's: the options that are not the defaults become one JSON object. */
  public static NewTask of(EnqueueScripts.NewTask t) {
    StringBuilder o = new StringBuilder();
    if (t.maxAttempts() != DEFAULT_MAX_ATTEMPTS) {
      o.append(",\"max\":").append(t.maxAttempts());
    }
    if (t.timeoutMillis() > 0) {
      o.append(",\"to\":").append(t.timeoutMillis());
    }
    if (!t.headersJson().isEmpty()) {
      o.append(",\"h\":").append(t.headersJson());
    }
    if (!t.backoff().isEmpty()) {
      o.append(",\"bo\":\"").append(t.backoff()).append('"'); // digits, dots and commas only
    }
    if (t.maxWaitMillis() > 0) {
      o.append(",\"mw\":").append(t.maxWaitMillis());
    }
    String options = o.isEmpty() ? "" : "{" + o.substring(1) + "}";
    return new NewTask(t.id(), t.payloadJson(), options, t.delayMillis(), t.runAtMillis(), t.dedupKey());
  }

  /**
   * Creates {@code tasks} of {@code queue} in one call, in order, each atomically and as if alone
   * (idempotent on its id). The future fails as the call does; nothing is retried here.
   */
  public CompletableFuture<EnqueueScripts.Replies> enqueue(String queue, List<NewTask> tasks, long dedupWindowMillis) {
    int n = tasks.size();
    String[] keyNames = new String[KEYS_FIXED + n];
    String[] args = new String[ARGS_FIXED + ARGS_PER_TASK * n];
    keyNames[0] = keys.stream(queue);
    keyNames[1] = keys.delayed(queue);
    keyNames[2] = keys.stats(queue);
    keyNames[3] = keys.layout(queue);
    args[0] = Keys.GROUP;
    args[1] = Long.toString(dedupWindowMillis);
    args[2] = keys.queuePrefix(queue);
    for (int j = 0; j < n; j++) {
      NewTask t = tasks.get(j);
      keyNames[KEYS_FIXED + j] = keys.indexBucket(queue, t.id());
      int a = ARGS_FIXED + ARGS_PER_TASK * j;
      args[a] = t.id();
      args[a + 1] = t.payloadJson();
      args[a + 2] = extras(t);
    }
    return ScriptErrors.typed(broker.<List<Object>>run(Script.ENQUEUE_V2, keyNames, args))
        .thenApply(raw -> new EnqueueScripts.Replies(raw, Script.ENQUEUE_V2));
  }
}
