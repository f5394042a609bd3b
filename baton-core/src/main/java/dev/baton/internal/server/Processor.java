package dev.baton.internal.server;

import dev.baton.HandlerOptions;
import dev.baton.RetryPolicy;
import dev.baton.TaskHandler;
import dev.baton.TaskRequest;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.RedisBroker.BlockingReader;
import dev.baton.internal.broker.Script;
import dev.baton.internal.codec.JacksonCodec;
import dev.baton.internal.codec.WireFormat;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches and runs the tasks of one agent type. It reads on its own connection only as many
 * entries as it has free handler permits, so a busy agent type never holds entries another worker
 * could run, and one agent type can never starve another (each has its own reader).
 */
public final class Processor {
  private static final Logger log = LoggerFactory.getLogger(Processor.class);
  static final int MAX_BATCH = 500;
  static final Duration BLOCK = Duration.ofSeconds(1);

  private final WorkerRuntime rt;
  private final String agentType;
  private final HandlerOptions options;
  private final TaskHandler handler;
  private final OutcomeWriter writer;
  private final Semaphore permits;
  private final Set<TaskExecution> inFlight = ConcurrentHashMap.newKeySet();
  private final ReentrantLock idleLock = new ReentrantLock();
  private final Condition idle = idleLock.newCondition();
  private volatile BlockingReader reader;
  private LoopRunner loop;

  public Processor(WorkerRuntime rt, String agentType, HandlerOptions options, TaskHandler handler) {
    this.rt = rt;
    this.agentType = agentType;
    this.options = options;
    this.handler = handler;
    this.writer = new OutcomeWriter(rt, options.retryPolicy());
    this.permits = new Semaphore(options.concurrency());
  }

  public String agentType() {
    return agentType;
  }

  public void start() {
    RedisBroker broker = rt.broker();
    broker.ensureGroup(agentType);
    reader = broker.openReader(agentType, rt.consumerName());
    loop = new LoopRunner("baton-processor-" + agentType, this::runOnce);
    loop.start();
  }

  /** One fetch: waits for a free permit, reads up to the free permits' worth of entries, starts them. */
  Duration runOnce() throws InterruptedException {
    if (!permits.tryAcquire(200, TimeUnit.MILLISECONDS)) {
      return Duration.ZERO;
    }
    int held = 1 + permits.drainPermits();
    if (held > MAX_BATCH) {
      permits.release(held - MAX_BATCH);
      held = MAX_BATCH;
    }
    List<StreamMessage<String, String>> entries;
    try {
      entries = loop.isStopped() ? List.of() : reader.read(held, BLOCK);
    } catch (RuntimeException e) {
      permits.release(held);
      reader.refreshClientIdQuietly();
      throw e;
    }
    permits.release(held - entries.size());
    if (!entries.isEmpty()) {
      dispatch(entries);
    }
    return Duration.ZERO;
  }

  /** Gives back the permits of entries that were neither launched nor released when dispatch failed. */
  private void dispatch(List<StreamMessage<String, String>> entries) {
    int[] settled = {0};
    try {
      dispatch(entries, settled);
    } catch (RuntimeException e) {
      permits.release(entries.size() - settled[0]);
      log.error("dispatch of {} entries of {} failed: {}; unstarted entries stay pending for recovery",
          entries.size() - settled[0], agentType, e.toString());
      throw e;
    }
  }

  /**
   * Starts the entries read; each holds one permit, given back when its handler ends.
   * {@code settled[0]} counts entries whose permit is accounted for (released or handed to a task).
   */
  private void dispatch(List<StreamMessage<String, String>> entries, int[] settled) {
    Keys k = rt.broker().keys();
    List<String> keys = new ArrayList<>(List.of(k.stream(agentType), k.dead(agentType), k.stats(agentType)));
    List<String> args = new ArrayList<>(List.of(Keys.GROUP, rt.consumerName(), k.finishedChannel(agentType)));
    List<String> ids = new ArrayList<>();
    for (StreamMessage<String, String> e : entries) {
      String id = e.getBody().get("t");
      if (id == null || !TaskRequest.ID.matcher(id).matches()) {
        deadLetterEntry(e, id == null ? "stream entry has no task id field 't'" : "stream entry has an invalid task id");
        permits.release();
        settled[0]++;
        continue;
      }
      keys.add(k.task(agentType, id));
      args.add(e.getId());
      args.add(id);
      ids.add(id);
    }
    if (ids.isEmpty()) {
      return;
    }
    List<Object> results = startWithRetry(keys, args, ids.size());
    if (results.isEmpty()) {
      settled[0] += ids.size(); // startWithRetry released them
      return;
    }
    for (int i = 0; i < results.size(); i++) {
      @SuppressWarnings("unchecked")
      List<Object> r = (List<Object>) results.get(i);
      settled[0]++;
      if ((Long) r.get(0) != 1L) {
        permits.release();
        if ((Long) r.get(0) == -1L) {
          log.warn("task {} of {} dead-lettered at start: {}", ids.get(i), agentType, r.get(1));
        }
        continue;
      }
      @SuppressWarnings("unchecked")
      Map<String, String> fields = toMap((List<Object>) r.get(1));
      launch(args.get(3 + 2 * i), fields);
    }
  }

  private List<Object> startWithRetry(List<String> keys, List<String> args, int count) {
    long pause = 50;
    for (int tryNo = 1; ; tryNo++) {
      try {
        return rt.broker().runSync(Script.START, keys.toArray(String[]::new), args.toArray(String[]::new));
      } catch (RuntimeException e) {
        if (tryNo >= 8) {
          permits.release(count);
          log.error("could not start {} entries of {}: {}; they stay pending for recovery", count, agentType,
              e.toString());
          return List.of();
        }
        try {
          Thread.sleep(pause);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          permits.release(count);
          return List.of();
        }
        pause = Math.min(2_000, pause * 2);
      }
    }
  }

  private void launch(String entryId, Map<String, String> f) {
    StartedTask task;
    try {
      task = parse(entryId, f);
    } catch (RuntimeException e) {
      // the record cannot be run as written (any parse failure, not only the expected ones: an
      // escaped exception would leave the task running with no handler): dead-letter it, fenced
      StartedTask shell = new StartedTask(f.getOrDefault("id", "?"), agentType, entryId, f.getOrDefault("dlv", "0"),
          lenientInt(f.get("att")), 0, 0, "", Map.of(), null, rt.clock().instant());
      writer.write(shell, Outcome.failure(new dev.baton.NonRetryableException(e.getMessage(), e)));
      permits.release();
      return;
    }
    TaskExecution[] self = new TaskExecution[1];
    self[0] = new TaskExecution(rt, task, handler, writer, () -> finished(self[0]));
    inFlight.add(self[0]);
    try {
      rt.handlers().execute(self[0]);
    } catch (RuntimeException e) {
      inFlight.remove(self[0]);
      permits.release();
      log.error("cannot run task {}: {}; it stays pending for recovery", task.id(), e.toString());
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

  private void finished(TaskExecution execution) {
    inFlight.remove(execution);
    permits.release();
    idleLock.lock();
    try {
      idle.signalAll();
    } finally {
      idleLock.unlock();
    }
  }

  private static int lenientInt(String s) {
    try {
      return s == null ? 0 : Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static Map<String, String> toMap(List<Object> flat) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      m.put((String) flat.get(i), (String) flat.get(i + 1));
    }
    return m;
  }

  /**
   * Stops reading new entries; tasks already running go on. The stop flag is set first, then the
   * blocked read is woken until the loop has ended, so no read can start (or stay blocked) after
   * this returns.
   */
  public void stopFetching() {
    if (loop == null) {
      return;
    }
    loop.requestStop();
    long deadline = System.nanoTime() + BLOCK.plusSeconds(2).toNanos();
    while (!loop.awaitExit(Duration.ofMillis(50)) && System.nanoTime() < deadline) {
      reader.unblock();
    }
  }

  /** Waits until no task runs or the deadline passes; true if none runs. */
  public boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    idleLock.lock();
    try {
      while (!inFlight.isEmpty()) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        idle.awaitNanos(left);
      }
      return true;
    } finally {
      idleLock.unlock();
    }
  }

  /**
   * Interrupts every running task without recording an outcome and gives the tasks back to the
   * queue at once, for another worker; returns how many were released.
   */
  public int abandonAndReleaseAll() {
    List<StartedTask> abandoned = new ArrayList<>();
    for (TaskExecution e : inFlight) {
      if (e.abandon()) {
        abandoned.add(e.task());
      }
    }
    if (abandoned.isEmpty()) {
      return 0;
    }
    Keys k = rt.broker().keys();
    List<String> keys = new ArrayList<>(List.of(k.stream(agentType)));
    List<String> args = new ArrayList<>(List.of(Keys.GROUP, rt.consumerName()));
    for (StartedTask t : abandoned) {
      keys.add(k.task(agentType, t.id()));
      args.add(t.entryId());
      args.add(t.deliveryToken());
    }
    try {
      long n = rt.broker().<Long>runSync(Script.RELEASE, keys.toArray(String[]::new), args.toArray(String[]::new));
      log.warn("{} task(s) of {} still running at the end of the shutdown grace were interrupted and {} released "
          + "to other workers", abandoned.size(), agentType, n);
      return (int) n;
    } catch (RuntimeException e) {
      log.warn("{} task(s) of {} interrupted at shutdown could not be released ({}); they are taken over when "
          + "their lease runs out", abandoned.size(), agentType, e.toString());
      return 0;
    }
  }

  public int inFlight() {
    return inFlight.size();
  }

  List<TaskExecution> executions() {
    return List.copyOf(inFlight);
  }

  HandlerOptions options() {
    return options;
  }

  public void close() {
    if (reader != null) {
      reader.close();
    }
  }
}
