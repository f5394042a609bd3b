package dev.baton.testing;

import dev.baton.BatonConfig;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.RedisBroker.BlockingReader;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.EnqueueScripts;
import dev.baton.internal.scripts.EnqueueV2Scripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs layout 2's hot path by hand (docs/hot-path-v2.md), without a worker, through the gateways
 * Baton's layout-2 worker uses: enqueue ({@code v2/enqueue.lua}), the plain read a first delivery
 * needs, and the record of successes ({@code v2/cycle.lua}). For the {@code layout-v2} scenario of
 * {@code baton bench}, which measures each step's Redis cost. Holds its own connections until
 * closed. Not thread-safe.
 */
public final class HotPathV2Driver implements AutoCloseable {
  /**
   * A task read by this driver.
   *
   * @param taskId the task's id
   * @param token the token its success must carry (for a first delivery, its entry id)
   */
  public record Delivered(String taskId, String token) {}

  private final RedisBroker broker;
  private final EnqueueV2Scripts enqueue;
  private final CycleScripts cycle;
  private final String queue;
  private final String consumer;
  private final long retentionMillis;
  private final long dedupWindowMillis;
  private final BlockingReader reader;

  /**
   * Connects to the deployment of {@code config}, makes sure {@code queue} exists in layout 2, and
   * opens a reader of it as {@code consumer}.
   *
   * @param config the deployment (Redis URI, key prefix, retention)
   * @param queue the agent type
   * @param consumer the consumer name to read as
   *
   * @throws dev.baton.RedisUnavailableException when Redis cannot be reached
   */
  public HotPathV2Driver(BatonConfig config, String queue, String consumer) {
    this.broker = new RedisBroker(config);
    this.enqueue = new EnqueueV2Scripts(broker);
    this.cycle = new CycleScripts(broker);
    this.queue = queue;
    this.consumer = consumer;
    this.retentionMillis = config.retention().toMillis();
    this.dedupWindowMillis = config.retention().toMillis();
    try {
      enqueue.ensureQueue(queue);
      this.reader = new TaskScripts(broker).openReader(queue, consumer);
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
  }

  /**
   * Creates tasks due now with the default options, in one call.
   *
   * @param ids the tasks' ids
   * @param payloads their JSON payloads, in the same order
   *
   * @throws IllegalStateException when a task was not created (its id is taken)
   */
  public void enqueue(List<String> ids, List<String> payloads) {
    List<EnqueueV2Scripts.NewTask> tasks = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      tasks.add(new EnqueueV2Scripts.NewTask(ids.get(i), payloads.get(i), "", 0, 0, ""));
    }
    EnqueueScripts.Replies r = broker.await(enqueue.enqueue(queue, tasks, dedupWindowMillis));
    for (int i = 0; i < r.size(); i++) {
      if (r.status(i) != ScriptStatus.OK) {
        throw new IllegalStateException("enqueue did not create " + ids.get(i) + ": " + r.status(i));
      }
    }
  }

  /**
   * Reads up to {@code max} new entries ({@code XREADGROUP COUNT max BLOCK block}); a first delivery
   * needs no start script.
   *
   * @param max most entries to read
   * @param block how long to wait for the first entry
   *
   * @return the tasks read, in order; empty when nothing arrived within {@code block}
   */
  public List<Delivered> read(int max, Duration block) {
    List<StreamMessage<String, String>> entries = reader.read(max, block);
    List<Delivered> out = new ArrayList<>(entries.size());
    for (StreamMessage<String, String> e : entries) {
      out.add(new Delivered(e.getBody().get("t"), e.getId()));
    }
    return out;
  }

  /**
   * Records {@code tasks} as successes with {@code resultJson} in one cycle call (claiming nothing).
   *
   * @param tasks tasks this driver read and still holds
   * @param resultJson the result every task records
   * @param finishedAtMillis the finish time written into each finished value
   *
   * @throws IllegalStateException when a success was refused
   */
  public void complete(List<Delivered> tasks, String resultJson, long finishedAtMillis) {
    List<CycleScripts.Success> successes = new ArrayList<>(tasks.size());
    for (Delivered t : tasks) {
      successes.add(new CycleScripts.Success(t.taskId(), t.token(),
          CycleScripts.finishedValue(finishedAtMillis, 1, 0, resultJson)));
    }
    CycleScripts.Reply r = broker.await(cycle.cycle(queue, consumer, retentionMillis, 0, successes));
    for (int i = 0; i < r.statuses().size(); i++) {
      if (r.statuses().get(i) != ScriptStatus.OK) {
        throw new IllegalStateException("cycle did not record " + tasks.get(i).taskId() + ": " + r.statuses().get(i));
      }
    }
  }

  @Override
  public void close() {
    reader.close();
    broker.close();
  }
}
