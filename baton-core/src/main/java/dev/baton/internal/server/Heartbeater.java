package dev.baton.internal.server;

import dev.baton.RedisUnavailableException;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskTransitions;
import dev.baton.internal.time.Timekeeper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the leases of every task this worker runs, a few times per lease, with one fenced script
 * call per agent type. A task whose renewal is refused (another worker took it over) is cancelled
 * and writes nothing. A task whose lease could not be renewed for the lease minus one heartbeat
 * interval (Redis unreachable, the connection silent, this process paused) is cancelled too, before
 * another worker can take it over.
 *
 * <p>That expiry check never waits on Redis: renewals are sent asynchronously and their replies
 * applied whenever they come; a round waits for them only up to half a heartbeat interval, and
 * sends no new renewal for an agent type while its last one is unanswered. So a worker cut off
 * from Redis (a partition holds the command, no error comes back until the command timeout) still
 * cancels its handlers before their leases run out, not when the connection gives up.
 *
 * <p>Renewal times and the expiry check are on the worker's {@link Timekeeper} (a test can expire a
 * lease by moving its clock); the wait for replies is real time, as it only bounds I/O.
 */
public final class Heartbeater {
  private static final Logger log = LoggerFactory.getLogger(Heartbeater.class);
  static final int BATCH = 200;

  private final TaskTransitions scripts;
  private final String consumer;
  private final List<Processor> processors;
  private final Timekeeper time;
  /** Per agent type, its latest round of renewals; touched only by the heartbeat thread. */
  private final Map<Processor, CompletableFuture<Void>> renewing = new HashMap<>();

  public Heartbeater(RedisBroker broker, String consumer, List<Processor> processors, Timekeeper time) {
    this.scripts = TaskTransitions.of(broker);
    this.consumer = consumer;
    this.processors = List.copyOf(processors);
    this.time = time;
  }

  /** The pause between two rounds: the shortest heartbeat interval of the agent types served. */
  public Duration interval() {
    Duration pause = Duration.ofSeconds(5);
    for (Processor p : processors) {
      pause = min(pause, p.options().heartbeatInterval());
    }
    return pause;
  }

  /**
   * Renews every running task's lease and cancels the tasks whose lease ran out; returns the pause
   * until the next round. Throws (after the expiry check) when a renewal failed or is unanswered.
   */
  public Duration runOnce() {
    Duration pause = interval();
    long started = time.nanoTime();
    long startedReal = System.nanoTime();
    for (Processor p : processors) {
      CompletableFuture<Void> last = renewing.get(p);
      if (last == null || last.isDone()) {
        renewing.put(p, renewAll(p));
      }
    }
    // real time: this only bounds the wait for Redis replies
    long waitUntil = startedReal + pause.toNanos() / 2;
    RuntimeException failure = null;
    for (Processor p : processors) {
      try {
        renewing.get(p).get(Math.max(0, waitUntil - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        failure = new RedisUnavailableException("lease renewal for " + p.agentType() + " unanswered", e);
      } catch (ExecutionException e) {
        failure = e.getCause() instanceof RuntimeException re ? re
            : new RedisUnavailableException("lease renewal for " + p.agentType() + " failed: " + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return pause;
      }
    }
    for (Processor p : processors) {
      expireUnrenewed(p);
    }
    if (failure != null) {
      throw failure; // logged by the loop; the next round tries again
    }
    return Duration.ofNanos(Math.max(0, pause.toNanos() - (time.nanoTime() - started)));
  }

  /** Sends the renewals of every running task of {@code p}; done when every batch is answered. */
  private CompletableFuture<Void> renewAll(Processor p) {
    List<TaskExecution> running = p.executions().stream().filter(TaskExecution::isRunning).toList();
    List<CompletableFuture<Void>> batches = new ArrayList<>();
    for (int from = 0; from < running.size(); from += BATCH) {
      List<TaskExecution> batch = running.subList(from, Math.min(running.size(), from + BATCH));
      try {
        batches.add(renew(p.agentType(), batch));
      } catch (RuntimeException e) {
        batches.add(CompletableFuture.failedFuture(e));
      }
    }
    // layout 2: successes waiting for the next cycle keep their leases too (their slots are free)
    List<StartedTask> unwritten = p.unwrittenTasks();
    for (int from = 0; from < unwritten.size(); from += BATCH) {
      try {
        batches.add(scripts.renew(p.agentType(), consumer, unwritten.subList(from, Math.min(unwritten.size(), from + BATCH)))
            .thenAccept(codes -> {}));
      } catch (RuntimeException e) {
        batches.add(CompletableFuture.failedFuture(e));
      }
    }
    return CompletableFuture.allOf(batches.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> renew(String agentType, List<TaskExecution> batch) {
    List<StartedTask> held = batch.stream().map(TaskExecution::task).toList();
    long sent = time.nanoTime();
    CompletableFuture<List<ScriptStatus>> reply = scripts.renew(agentType, consumer, held);
    return reply.thenAccept(codes -> {
      for (int i = 0; i < batch.size(); i++) {
        TaskExecution e = batch.get(i);
        if (codes.get(i) == ScriptStatus.OK) {
          e.renewed(sent); // Redis renewed it at or after `sent`: the lease runs at least from then
        } else if (e.leaseLost("lease lost: the task was taken over by another worker")) {
          log.warn("task {} of {}: lease lost (taken over elsewhere); handler cancelled, nothing written",
              e.task().id(), agentType);
        }
      }
    });
  }

  /**
   * Cancels tasks whose lease was not renewed for the lease minus one heartbeat interval. This check
   * runs at least once per heartbeat interval, so a cut-off worker stops its handler before the lease
   * can run out on the Redis side, where another worker would take the task over.
   */
  private void expireUnrenewed(Processor p) {
    Duration limit = p.options().lease().minus(p.options().heartbeatInterval());
    long now = time.nanoTime();
    for (TaskExecution e : p.executions()) {
      if (e.isRunning() && now - e.lastRenewedNanos() > limit.toNanos()
          && e.leaseLost("lease expiring: not renewed for " + limit.toMillis() + "ms")) {
        log.warn("task {} of {}: lease not renewed for {}ms (lease {}); handler cancelled before another worker "
            + "can take the task, nothing written", e.task().id(), p.agentType(), limit.toMillis(), p.options().lease());
      }
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
