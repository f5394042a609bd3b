package dev.baton.internal.server;

import dev.baton.HandlerOptions;
import dev.baton.NonRetryableException;
import dev.baton.RetryPolicy;
import dev.baton.TaskEvent;
import dev.baton.TaskRequest;
import dev.baton.internal.codec.JacksonCodec;
import dev.baton.internal.codec.WireFormat;
import dev.baton.internal.scripts.RecoveryScripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the entries one read delivered into tasks to run: dead-letters unreadable entries, runs the
 * start script for the rest in one call, and checks each started record before it reaches a
 * handler (a record that cannot run as written is dead-lettered, fenced, with the reason).
 */
final class TaskStarter {
  private static final Logger log = LoggerFactory.getLogger(TaskStarter.class);
  static final int START_TRIES = 8;

  private final WorkerRuntime rt;
  private final String agentType;
  private final HandlerOptions options;
  private final OutcomeWriter writer;
  private final TaskScripts tasks;
  private final RecoveryScripts recovery;

  TaskStarter(WorkerRuntime rt, String agentType, HandlerOptions options, OutcomeWriter writer) {
    this.rt = rt;
    this.agentType = agentType;
    this.options = options;
    this.writer = writer;
    this.tasks = new TaskScripts(rt.broker());
    this.recovery = new RecoveryScripts(rt.broker());
  }

  /**
   * The tasks to run, out of {@code entries}; every other entry has been settled (dead-lettered or
   * skipped). Throws when Redis fails: entries not yet settled then stay pending, for recovery.
   */
  List<StartedTask> start(List<StreamMessage<String, String>> entries) {
    List<String> entryIds = new ArrayList<>(entries.size());
    List<String> taskIds = new ArrayList<>(entries.size());
    for (StreamMessage<String, String> e : entries) {
      String id = e.getBody().get("t");
      if (id == null || !TaskRequest.ID.matcher(id).matches()) {
        deadLetterEntry(e, id == null ? "stream entry has no task id field 't'" : "stream entry has an invalid task id");
        continue;
      }
      entryIds.add(e.getId());
      taskIds.add(id);
    }
    if (entryIds.isEmpty()) {
      return List.of();
    }
    TaskScripts.StartReplies results = startWithRetry(entryIds, taskIds);
    List<StartedTask> started = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      ScriptStatus status = results.status(i);
      if (status == ScriptStatus.OK) {
        Map<String, String> fields = results.record(i);
        StartedTask task = checked(entryIds.get(i), fields);
        if (task != null) {
          started.add(task);
          if (rt.events().active()) {
            rt.events().task(TaskEvent.Kind.STARTED, agentType, task.id(), task.attempt(), rt.consumerName(),
                task.startedAt(), null, null);
          }
        }
      } else if (status == ScriptStatus.DEAD_LETTERED) {
        log.warn("task {} of {} dead-lettered at start: {}", taskIds.get(i), agentType, results.reason(i));
        rt.events().task(TaskEvent.Kind.DEAD, agentType, taskIds.get(i), 0, rt.consumerName(), rt.clock().instant(),
            null, results.reason(i));
      }
    }
    return started;
  }

  /** A retry of a start whose reply was lost is safe: the script answers it the same way. */
  private TaskScripts.StartReplies startWithRetry(List<String> entryIds, List<String> taskIds) {
    long pause = 50;
    for (int tryNo = 1; ; tryNo++) {
      try {
        return tasks.start(agentType, rt.consumerName(), entryIds, taskIds);
      } catch (RuntimeException e) {
        if (tryNo >= START_TRIES) {
          throw e;
        }
        try {
          rt.clock().sleep(Duration.ofMillis(pause));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
        pause = Math.min(2_000, pause * 2);
      }
    }
  }

  /** The started task, or null when its record cannot run as written (then it is dead-lettered). */
  private StartedTask checked(String entryId, Map<String, String> f) {
    try {
      return parse(entryId, f);
    } catch (RuntimeException e) {
      // any parse failure, not only the expected ones: an escaped exception would leave the task
      // running with no handler
      StartedTask shell = new StartedTask(f.getOrDefault("id", "?"), agentType, entryId, f.getOrDefault("dlv", "0"),
          lenientInt(f.get("att")), 0, 0, "", Map.of(), null, rt.clock().instant());
      writer.write(shell, Outcome.failure(new NonRetryableException(e.getMessage(), e)));
      return null;
    }
  }

  private StartedTask parse(String entryId, Map<String, String> f) {
    String queue = f.getOrDefault("q", "");
    if (!agentType.equals(queue)) {
      throw new IllegalArgumentException(
          "no handler for agent type '" + queue + "' (the entry is in the stream of '" + agentType + "')");
    }
    String payload = f.get("p");
    if (payload == null) {
      throw new IllegalArgumentException("malformed task: no payload");
    }
    try {
      JacksonCodec.INSTANCE.validate(payload);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed task: payload is not JSON: " + e.getMessage(), e);
    }
    int max = WireFormat.intField(f, "max");
    int attempt = WireFormat.intField(f, "att");
    long timeout = WireFormat.longField(f, "to"); // ms: an int ends at 24.8 days
    RetryPolicy override;
    try {
      override = f.containsKey("bo") ? RetryPolicy.fromWire(f.get("bo")) : null;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed task: backoff: " + e.getMessage(), e);
    }
    return new StartedTask(
        f.get("id"),
        agentType,
        entryId,
        f.get("dlv"),
        attempt,
        Math.max(1, max),
        timeout > 0 ? timeout : options.timeout().toMillis(),
        payload,
        WireFormat.parseHeaders(f.get("h")),
        override,
        Instant.ofEpochMilli(rt.clock().millis()));
  }

  private void deadLetterEntry(StreamMessage<String, String> e, String reason) {
    String raw = JacksonCodec.INSTANCE.encode(e.getBody());
    ScriptStatus status = recovery.deadEntry(agentType, e.getId(), reason, raw);
    if (status == ScriptStatus.OK) {
      rt.events().task(TaskEvent.Kind.DEAD, agentType, RecoveryScripts.tombstoneId(e.getId()), 0, rt.consumerName(),
          rt.clock().instant(), null, reason);
    }
    log.warn("stream entry {} of {} dead-lettered as {}: {}", e.getId(), agentType, RecoveryScripts.tombstoneId(e.getId()),
        reason);
  }

  private static int lenientInt(String s) {
    try {
      return s == null ? 0 : Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
