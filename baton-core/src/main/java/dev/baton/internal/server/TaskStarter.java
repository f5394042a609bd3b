package dev.baton.internal.server;

import dev.baton.HandlerOptions;
import dev.baton.NonRetryableException;
import dev.baton.RetryPolicy;
import dev.baton.TaskRequest;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.Script;
import dev.baton.internal.codec.JacksonCodec;
import dev.baton.internal.codec.WireFormat;
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

  TaskStarter(WorkerRuntime rt, String agentType, HandlerOptions options, OutcomeWriter writer) {
    this.rt = rt;
    this.agentType = agentType;
    this.options = options;
    this.writer = writer;
  }

  /**
   * The tasks to run, out of {@code entries}; every other entry has been settled (dead-lettered or
   * skipped). Throws when Redis fails: entries not yet settled then stay pending, for recovery.
   */
  List<StartedTask> start(List<StreamMessage<String, String>> entries) {
    Keys k = rt.broker().keys();
    List<String> keys = new ArrayList<>(List.of(k.stream(agentType), k.dead(agentType), k.stats(agentType)));
    List<String> args = new ArrayList<>(List.of(Keys.GROUP, rt.consumerName(), k.finishedChannel(agentType)));
    List<String> entryIds = new ArrayList<>();
    for (StreamMessage<String, String> e : entries) {
      String id = e.getBody().get("t");
      if (id == null || !TaskRequest.ID.matcher(id).matches()) {
        deadLetterEntry(e, id == null ? "stream entry has no task id field 't'" : "stream entry has an invalid task id");
        continue;
      }
      keys.add(k.task(agentType, id));
      args.add(e.getId());
      args.add(id);
      entryIds.add(e.getId());
    }
    if (entryIds.isEmpty()) {
      return List.of();
    }
    List<Object> results = startWithRetry(keys.toArray(String[]::new), args.toArray(String[]::new));
    List<StartedTask> started = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      @SuppressWarnings("unchecked")
      List<Object> r = (List<Object>) results.get(i);
      long code = (Long) r.get(0);
      if (code == 1L) {
        Map<String, String> fields = WireFormat.startedRecord((List<?>) r.get(1));
        StartedTask task = checked(entryIds.get(i), fields);
        if (task != null) {
          started.add(task);
        }
      } else if (code == -1L) {
        log.warn("task {} of {} dead-lettered at start: {}", args.get(4 + 2 * i), agentType, r.get(1));
      }
    }
    return started;
  }

  /** A retry of a start whose reply was lost is safe: the script answers it the same way. */
  private List<Object> startWithRetry(String[] keys, String[] args) {
    long pause = 50;
    for (int tryNo = 1; ; tryNo++) {
      try {
        return rt.broker().runSync(Script.START, keys, args);
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
    Keys k = rt.broker().keys();
    String tombstone = "entry-" + e.getId();
    String raw = JacksonCodec.INSTANCE.encode(e.getBody());
    rt.broker().runSync(Script.DEAD_ENTRY,
        new String[] {k.stream(agentType), k.dead(agentType), k.task(agentType, tombstone), k.stats(agentType)},
        Keys.GROUP, e.getId(), tombstone, reason, raw);
    log.warn("stream entry {} of {} dead-lettered as {}: {}", e.getId(), agentType, tombstone, reason);
  }

  private static int lenientInt(String s) {
    try {
      return s == null ? 0 : Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
