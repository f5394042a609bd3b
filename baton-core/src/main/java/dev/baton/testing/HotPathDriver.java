package dev.baton.testing;

import dev.baton.BatonConfig;
import dev.baton.TaskError;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.RedisBroker.BlockingReader;
import dev.baton.internal.codec.WireFormat;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the worker's side of the hot path by hand, without a worker, through the same script
 * gateways Baton's worker uses: reads new entries of one queue as one consumer and starts them
 * (start.lua), then records tasks as successes (complete.lua). For tests and benchmarks that
 * measure or check one script at a time (the {@code scripts} scenario of {@code baton bench});
 * enqueue with {@link dev.baton.Dispatcher#enqueueAll}. Holds its own connections until closed.
 * Not thread-safe.
 */
public final class HotPathDriver implements AutoCloseable {
  /**
   * A task this driver started: the fencing token a completion must carry, and the attempt number.
   *
   * @param taskId the task's id
   * @param entryId the stream entry it was delivered as
   * @param deliveryToken the delivery number the start script recorded (the fence)
   * @param attempt the attempt this delivery runs
   */
  public record Started(String taskId, String entryId, String deliveryToken, int attempt) {}

  private final RedisBroker broker;
  private final TaskScripts scripts;
  private final String queue;
  private final String consumer;
  private final long retentionMillis;
  private final BlockingReader reader;

  /**
   * Connects to the deployment of {@code config} and opens a reader of {@code queue} as {@code
   * consumer} (the queue's stream and group must exist: enqueue first).
   *
   * @param config the deployment (Redis URI, key prefix, retention)
   * @param queue the agent type to read
   * @param consumer the consumer name to read and start as
   *
   * @throws dev.baton.RedisUnavailableException when Redis cannot be reached
   */
  public HotPathDriver(BatonConfig config, String queue, String consumer) {
    this.broker = new RedisBroker(config);
    this.scripts = new TaskScripts(broker);
    this.queue = queue;
    this.consumer = consumer;
    this.retentionMillis = config.retention().toMillis();
    try {
      this.reader = scripts.openReader(queue, consumer);
    } catch (RuntimeException e) {
      broker.close();
      throw e;
    }
  }

  /**
   * Reads up to {@code max} new entries ({@code XREADGROUP COUNT max BLOCK block}) and starts them
   * in one start.lua call.
   *
   * @param max most entries to read
   * @param block how long to wait for the first entry
   *
   * @return the started tasks, in read order; empty when nothing arrived within {@code block}
   * @throws IllegalStateException when an entry was not started (skipped or dead-lettered)
   */
  public List<Started> readAndStart(int max, Duration block) {
    List<StreamMessage<String, String>> entries = reader.read(max, block);
    if (entries.isEmpty()) {
      return List.of();
    }
    List<String> entryIds = new ArrayList<>(entries.size());
    List<String> taskIds = new ArrayList<>(entries.size());
    for (StreamMessage<String, String> e : entries) {
      entryIds.add(e.getId());
      taskIds.add(e.getBody().get("t"));
    }
    TaskScripts.StartReplies replies = scripts.start(queue, consumer, entryIds, taskIds);
    List<Started> started = new ArrayList<>(replies.size());
    for (int i = 0; i < replies.size(); i++) {
      if (replies.status(i) != ScriptStatus.OK) {
        throw new IllegalStateException(
            "start.lua did not start " + taskIds.get(i) + ": " + replies.status(i) + " (" + replies.reason(i) + ")");
      }
      Map<String, String> f = replies.record(i);
      started.add(new Started(f.get("id"), f.get("eid"), f.get("dlv"), Integer.parseInt(f.get("att"))));
    }
    return started;
  }

  /**
   * Records {@code tasks} as successes with {@code resultJson} in one complete.lua call, each with
   * the attempt record a worker would write for an attempt from {@code startedAt} to {@code
   * finishedAt}; finished records are kept for the config's retention.
   *
   * @param tasks tasks this driver started and still holds
   * @param resultJson the result every task records
   * @param startedAt start of the recorded attempt
   * @param finishedAt end of the recorded attempt
   *
   * @throws IllegalStateException when a task was not recorded (its fence failed, or its record is gone)
   */
  public void complete(List<Started> tasks, String resultJson, Instant startedAt, Instant finishedAt) {
    List<TaskScripts.Succeeded> successes = new ArrayList<>(tasks.size());
    for (Started t : tasks) {
      String record = WireFormat.attemptRecord(new TaskError(t.attempt(), consumer, startedAt, finishedAt, null, null,
          null));
      successes.add(new TaskScripts.Succeeded(new TaskScripts.Held(t.taskId(), t.entryId(), t.deliveryToken()),
          resultJson, record));
    }
    TaskScripts.CompleteReplies replies = broker.await(scripts.complete(queue, retentionMillis, successes));
    for (int i = 0; i < replies.size(); i++) {
      if (replies.status(i) != ScriptStatus.OK) {
        throw new IllegalStateException(
            "complete.lua did not record a success of " + tasks.get(i).taskId() + ": " + replies.status(i));
      }
    }
  }

  @Override
  public void close() {
    reader.close();
    broker.close();
  }
}
