package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The gateway of enqueue.lua: the only code that knows its KEYS/ARGV layout and reply shape.
 * Asynchronous, so a batch of calls is pipelined. Thread-safe.
 */
public final class EnqueueScripts {
  private static final int KEYS_FIRST = 5;
  private static final int KEYS_MORE = 2;
  private static final int ARGS_FIRST = 13;
  private static final int ARGS_MORE = 11;

  private final RedisBroker broker;
  private final Keys keys;

  public EnqueueScripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * One task to create, as enqueue.lua stores it.
   *
   * @param dedupKey {@code ""} for none
   * @param headersJson JSON object text, {@code ""} for none
   * @param backoff {@code "baseMs,multiplier,capMs"}, {@code ""} for none
   * @param delayMillis relative to Redis time, 0 for none
   * @param runAtMillis epoch ms, 0 for none (wins over the delay)
   * @param maxWaitMillis 0 for no limit
   */
  public record NewTask(String id, String payloadJson, int maxAttempts, long timeoutMillis, long delayMillis,
      long runAtMillis, String dedupKey, String headersJson, String backoff, long maxWaitMillis) {}

  /**
   * Creates {@code tasks} of {@code queue} in one script call, in order, each atomically and as if
   * alone (idempotent on its id). The future fails as the call does; nothing is retried here.
   *
   * @param dedupWindowMillis how long a dedup key is held (plus the task's delay)
   */
  public CompletableFuture<Replies> enqueue(String queue, List<NewTask> tasks, long dedupWindowMillis) {
    int n = tasks.size();
    String[] keyNames = new String[KEYS_FIRST + KEYS_MORE * (n - 1)];
    String[] args = new String[ARGS_FIRST + ARGS_MORE * (n - 1)];
    NewTask first = tasks.get(0);
    keyNames[0] = keys.task(queue, first.id());
    keyNames[1] = keys.stream(queue);
    keyNames[2] = keys.delayed(queue);
    keyNames[3] = keys.dedup(queue, first.dedupKey());
    keyNames[4] = keys.stats(queue);
    values(queue, first, args, 0);
    args[10] = Long.toString(dedupWindowMillis);
    args[11] = Keys.GROUP;
    args[12] = Long.toString(first.maxWaitMillis());
    for (int j = 1; j < n; j++) {
      NewTask t = tasks.get(j);
      int k = KEYS_FIRST + KEYS_MORE * (j - 1);
      keyNames[k] = keys.task(queue, t.id());
      keyNames[k + 1] = keys.dedup(queue, t.dedupKey());
      int b = ARGS_FIRST + ARGS_MORE * (j - 1);
      values(queue, t, args, b);
      args[b + 10] = Long.toString(t.maxWaitMillis());
    }
    return ScriptErrors.typed(broker.<List<Object>>run(Script.ENQUEUE, keyNames, args)).thenApply(Replies::new);
  }

  /** ARGV[1..10] of one task (see enqueue.lua), from {@code args[b]} on. */
  private static void values(String queue, NewTask t, String[] args, int b) {
    args[b] = t.id();
    args[b + 1] = queue;
    args[b + 2] = t.payloadJson();
    args[b + 3] = Integer.toString(t.maxAttempts());
    args[b + 4] = Long.toString(t.timeoutMillis());
    args[b + 5] = Long.toString(t.delayMillis());
    args[b + 6] = Long.toString(t.runAtMillis());
    args[b + 7] = t.dedupKey();
    args[b + 8] = t.headersJson();
    args[b + 9] = t.backoff();
  }

  /**
   * The reply of one enqueue call, read per task in the order sent ({@code {code, id, state}} per
   * task, flattened); each accessor decodes its element where it is read.
   */
  public record Replies(List<Object> raw, Script script) {
    Replies(List<Object> raw) {
      this(raw, Script.ENQUEUE);
    }

    public int size() {
      return raw.size() / 3;
    }

    /** {@link ScriptStatus#OK} created, {@link ScriptStatus#EXISTS}, or {@link ScriptStatus#DUPLICATE}. */
    public ScriptStatus status(int task) {
      return ScriptStatus.of(script, (Long) raw.get(3 * task));
    }

    /** The task's id; for {@link ScriptStatus#DUPLICATE}, the id of the task holding the dedup key. */
    public String id(int task) {
      return (String) raw.get(3 * task + 1);
    }

    /** The task's state on the wire (created or current); {@code ""} for {@link ScriptStatus#DUPLICATE}. */
    public String state(int task) {
      return (String) raw.get(3 * task + 2);
    }
  }
}
