package dev.baton.internal.server;

import dev.baton.NonRetryableException;
import dev.baton.RawJson;
import dev.baton.TaskHandler;
import dev.baton.TaskTimeoutException;
import dev.baton.internal.time.Timekeeper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One attempt of one task on a virtual thread. Exactly one of four things decides the attempt:
 * the handler returning, the deadline passing (the handler is interrupted and the attempt fails
 * at once, whether or not the handler ever returns), the worker abandoning it at shutdown, or the
 * lease being lost (another worker took the task over). In the last two cases this worker writes
 * nothing about the attempt. The deadline is a timer on the worker's clock ({@link
 * WorkerRuntime#clock()}), armed when the attempt starts.
 */
final class TaskExecution implements Runnable {
  private enum Phase {
    RUNNING,
    FINISHED,
    TIMED_OUT,
    ABANDONED,
    LEASE_LOST
  }

  private final WorkerRuntime rt;
  private final StartedTask task;
  private final TaskHandler handler;
  private final OutcomeWriter writer;
  private final Runnable onExit;
  private final java.util.function.Supplier<Throwable> refusal;
  private final ExecutionContext context;
  private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.RUNNING);
  private volatile Thread thread;
  /**
   * The lease counts from the reply of the read that delivered the entry, not from the launch; a
   * {@link Timekeeper#nanoTime()} reading of the worker's clock.
   */
  private volatile long lastRenewedNanos;

  /**
   * @param refusal checked just before the handler would run: non-null (a declared dependency's
   *     breaker opened since the entry was read) ends the attempt with it, the handler not called
   * @param leaseFromNanos when the read that delivered the entry returned ({@link Timekeeper#nanoTime()})
   */
  TaskExecution(WorkerRuntime rt, StartedTask task, TaskHandler handler, OutcomeWriter writer, Runnable onExit,
      java.util.function.Supplier<Throwable> refusal, long leaseFromNanos) {
    this.lastRenewedNanos = leaseFromNanos;
    this.rt = rt;
    this.task = task;
    this.handler = handler;
    this.writer = writer;
    this.onExit = onExit;
    this.refusal = refusal;
    this.context = new ExecutionContext(task.id(), task.agentType(), task.attempt(), task.maxAttempts(),
        task.payloadJson(), task.headers(), task.startedAt().plusMillis(task.timeoutMillis()), rt.codec(),
        rt.breakers());
  }

  StartedTask task() {
    return task;
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    Timekeeper.Timer timer = rt.clock().schedule(this::onDeadline, Duration.ofMillis(task.timeoutMillis()));
    try {
      Outcome outcome;
      try {
        Throwable refused = refusal.get();
        if (refused != null) {
          throw refused;
        }
        outcome = Outcome.success(encode(handler.handle(context)));
      } catch (Throwable t) {
        outcome = Outcome.failure(t);
      }
      timer.cancel();
      if (phase.compareAndSet(Phase.RUNNING, Phase.FINISHED)) {
        Thread.interrupted(); // a late interrupt must not abort the outcome write
        writer.write(task, outcome);
      }
    } finally {
      onExit.run();
    }
  }

  private String encode(Object result) {
    if (result == null) {
      return "null"; // the common no-result handler: no codec call, no size check needed
    }
    String json;
    if (result instanceof RawJson raw) {
      try {
        rt.codec().validate(raw.json());
      } catch (IllegalArgumentException e) {
        throw new NonRetryableException("handler returned invalid JSON: " + e.getMessage(), e);
      }
      json = raw.json();
    } else {
      try {
        json = rt.codec().encode(result);
      } catch (IllegalArgumentException e) {
        throw new NonRetryableException("handler result cannot be encoded: " + e.getMessage(), e);
      }
    }
    int bytes = json.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > rt.maxResultBytes()) {
      throw new NonRetryableException("result is " + bytes + " bytes, over the limit of " + rt.maxResultBytes());
    }
    return json;
  }

  private void onDeadline() {
    if (phase.compareAndSet(Phase.RUNNING, Phase.TIMED_OUT)) {
      String why = "task timed out after " + task.timeoutMillis() + "ms";
      context.cancel(why);
      interrupt();
      Runnable record = () -> writer.write(task, Outcome.failure(new TaskTimeoutException(why)));
      try {
        rt.handlers().execute(record);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        record.run(); // the worker is stopping: write from the timer thread instead
      }
    }
  }

  /** Stops the attempt without recording an outcome; true if it was still running. */
  boolean abandon() {
    if (phase.compareAndSet(Phase.RUNNING, Phase.ABANDONED)) {
      context.cancel("worker shutting down");
      interrupt();
      return true;
    }
    return false;
  }

  /**
   * The task is no longer this worker's (taken over after its lease ran out, or the lease could
   * not be renewed in time): cancel the handler and write nothing. True if it was still running.
   */
  boolean leaseLost(String why) {
    if (phase.compareAndSet(Phase.RUNNING, Phase.LEASE_LOST)) {
      context.cancel(why);
      interrupt();
      return true;
    }
    return false;
  }

  /** Still waiting for the handler: its lease must be kept alive. */
  boolean isRunning() {
    return phase.get() == Phase.RUNNING;
  }

  void renewed(long nanos) {
    lastRenewedNanos = nanos;
  }

  long lastRenewedNanos() {
    return lastRenewedNanos;
  }

  private void interrupt() {
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }
}
