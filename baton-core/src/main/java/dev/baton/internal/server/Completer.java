package dev.baton.internal.server;

import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.internal.time.Timekeeper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the successful outcomes of one worker's handlers in batches (group commit): while one
 * {@code complete} call is in flight, the successes reported meanwhile queue up and go together in
 * the next call, one per agent type, each task fenced on its own inside the script. A lone success
 * is sent at once, so batching adds no wait at low rates.
 *
 * <p>A handler's thread waits until its outcome is written (or given up) before it gives back its
 * concurrency permit, so a queued success counts as running: shutdown waits for it, and a crash
 * while it is queued leaves its entry pending, for recovery, as a crash before the write always did.
 * A call that fails because Redis is unreachable is retried, with the successes queued since,
 * until each task's {@link WorkerRuntime#outcomeRetryWindow()} ends; the pauses between retries and
 * the window are on the worker's clock.
 */
public final class Completer {
  private static final Logger log = LoggerFactory.getLogger(Completer.class);
  /** Most tasks in one script call: bounds the time Redis spends in one script. */
  static final int MAX_PER_CALL = 200;
  /** Most tasks one pass takes from the queue. */
  static final int MAX_PER_PASS = 2_000;
  static final long FIRST_PAUSE_MILLIS = 50;
  static final long MAX_PAUSE_MILLIS = 2_000;

  private final RedisBroker broker;
  private final TaskScripts scripts;
  private final long retentionMillis;
  private final Duration retryWindow;
  private final Timekeeper time;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final List<Pending> retrying = new ArrayList<>(); // the loop thread's only
  private long pauseMillis = FIRST_PAUSE_MILLIS;
  private volatile boolean closed;
  private LoopRunner loop;

  /**
   * A success waiting to be written; {@code done} completes with the script's status for it.
   * {@code deadlineNanos} is a {@link Timekeeper#nanoTime()} reading.
   */
  record Pending(StartedTask task, String resultJson, String attemptRecord, long deadlineNanos,
      CompletableFuture<ScriptStatus> done) implements TaskScripts.Success {}

  /** Queued by {@link #stop()} to end the loop's wait for work at once; never written. */
  private static final Pending WAKE = new Pending(null, null, null, 0, null);

  public Completer(RedisBroker broker, long retentionMillis, Duration retryWindow, Timekeeper time) {
    this.broker = broker;
    this.scripts = new TaskScripts(broker);
    this.retentionMillis = retentionMillis;
    this.retryWindow = retryWindow;
    this.time = time;
  }

  public void start() {
    loop = new LoopRunner("baton-completer", this::runOnce, time);
    loop.start();
  }

  /**
   * Queues the success of {@code task}. The future completes with {@link ScriptStatus#OK}
   * (recorded), {@link ScriptStatus#NOT_HELD} (fence rejected: this worker no longer holds the
   * attempt) or {@link ScriptStatus#NOT_FOUND} (record gone), or exceptionally when the write was
   * given up; each case is already logged.
   */
  CompletableFuture<ScriptStatus> submit(StartedTask task, String resultJson, String attemptRecord) {
    Pending p = new Pending(task, resultJson, attemptRecord, time.nanoTime() + retryWindow.toNanos(),
        new CompletableFuture<>());
    queue.add(p);
    if (closed) {
      drainAndWriteOnce(); // the worker has stopped: one try from the caller's thread
    }
    return p.done;
  }

  /** One pass: takes what is queued (and what waits for a retry), writes it, pauses after a failure. */
  Duration runOnce() throws InterruptedException {
    List<Pending> batch = new ArrayList<>(retrying);
    retrying.clear();
    if (batch.isEmpty()) {
      Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
      if (first == null || first == WAKE) {
        return Duration.ZERO;
      }
      batch.add(first);
    }
    queue.drainTo(batch, Math.max(0, MAX_PER_PASS - batch.size()));
    batch.remove(WAKE);
    if (batch.isEmpty()) {
      return Duration.ZERO;
    }
    List<Pending> failed;
    try {
      failed = write(batch);
    } catch (RuntimeException e) {
      // nothing may leave the pass unsettled: a handler waits for every one of these
      log.warn("complete of {} task(s) failed unexpectedly, retrying: {}", batch.size(), e.toString(), e);
      failed = batch.stream().filter(p -> !p.done.isDone()).toList();
    }
    long now = time.nanoTime();
    for (Pending p : failed) {
      if (now - p.deadlineNanos >= 0) {
        giveUp(p, "Redis unavailable for the whole outcome retry window");
      } else {
        retrying.add(p);
      }
    }
    if (retrying.isEmpty()) {
      pauseMillis = FIRST_PAUSE_MILLIS;
      return Duration.ZERO;
    }
    Duration pause = Duration.ofMillis(pauseMillis);
    pauseMillis = Math.min(MAX_PAUSE_MILLIS, pauseMillis * 2);
    return pause;
  }

  /**
   * Sends {@code batch}, one call per agent type and {@link #MAX_PER_CALL} tasks, all pipelined;
   * settles every task whose call got a reply and returns the others.
   */
  private List<Pending> write(List<Pending> batch) {
    Map<String, List<Pending>> byType = new LinkedHashMap<>();
    for (Pending p : batch) {
      byType.computeIfAbsent(p.task.agentType(), t -> new ArrayList<>()).add(p);
    }
    List<List<Pending>> calls = new ArrayList<>();
    List<CompletableFuture<TaskScripts.CompleteReplies>> replies = new ArrayList<>();
    for (Map.Entry<String, List<Pending>> e : byType.entrySet()) {
      List<Pending> all = e.getValue();
      for (int from = 0; from < all.size(); from += MAX_PER_CALL) {
        List<Pending> call = all.subList(from, Math.min(all.size(), from + MAX_PER_CALL));
        calls.add(call);
        replies.add(send(e.getKey(), call));
      }
    }
    List<Pending> failed = new ArrayList<>();
    for (int c = 0; c < calls.size(); c++) {
      List<Pending> call = calls.get(c);
      TaskScripts.CompleteReplies reply;
      try {
        reply = broker.await(replies.get(c));
      } catch (RuntimeException e) {
        log.debug("complete of {} task(s) failed, retrying: {}", call.size(), e.toString());
        failed.addAll(call);
        continue;
      }
      for (int i = 0; i < call.size(); i++) {
        Pending p = call.get(i);
        try {
          settle(p, reply, i);
        } catch (RuntimeException e) {
          // an unreadable reply must not strand a handler: give its task up (the fence makes any
          // later write of the same attempt harmless) and leave the entry to recovery if unwritten
          giveUp(p, "unexpected reply " + reply.raw() + ": " + e);
        }
      }
    }
    return failed;
  }

  private CompletableFuture<TaskScripts.CompleteReplies> send(String agentType, List<Pending> call) {
    try {
      return scripts.complete(agentType, retentionMillis, call);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static void settle(Pending p, TaskScripts.CompleteReplies reply, int i) {
    ScriptStatus status = reply.status(i);
    if (status == ScriptStatus.NOT_HELD) {
      log.warn("complete of task {} rejected: this worker no longer holds attempt {} (state now {})",
          p.task.id(), p.task.attempt(), reply.state(i));
    } else if (status == ScriptStatus.NOT_FOUND) {
      log.warn("complete of task {} rejected: its record is gone", p.task.id());
    }
    p.done.complete(status);
  }

  private static void giveUp(Pending p, String why) {
    log.error("could not record complete of task {} (entry {}): {}; the entry stays pending for recovery",
        p.task.id(), p.task.entryId(), why);
    p.done.completeExceptionally(new IllegalStateException("outcome not written: " + why));
  }

  /** One try for {@code batch}, giving up what fails: used once the loop has stopped. */
  private void writeOnce(List<Pending> batch) {
    for (Pending p : write(batch)) {
      giveUp(p, "Redis failed while the worker was stopping");
    }
  }

  /**
   * Stops the loop, then writes what is still queued once. Call it after the handlers have ended,
   * so that nothing is queued afterwards (a late success is then written from its own thread).
   */
  public void stop() {
    closed = true;
    if (loop != null) {
      loop.requestStop();
      queue.add(WAKE); // the loop may be waiting for work: end that wait now
      if (loop.awaitExit(Duration.ofSeconds(5))) {
        queue.addAll(retrying); // the loop has ended: its list is ours now
        retrying.clear();
      }
    }
    drainAndWriteOnce();
  }

  private void drainAndWriteOnce() {
    List<Pending> rest = new ArrayList<>();
    queue.drainTo(rest);
    rest.remove(WAKE);
    if (!rest.isEmpty()) {
      writeOnce(rest);
    }
  }
}
