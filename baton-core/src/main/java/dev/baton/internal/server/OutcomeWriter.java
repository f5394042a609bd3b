package dev.baton.internal.server;

import dev.baton.resilience.DependencyUnavailableException;
import dev.baton.NonRetryableException;
import dev.baton.resilience.RateLimitedException;
import dev.baton.RetryPolicy;
import dev.baton.TaskError;
import dev.baton.WorkerFaultException;
import dev.baton.internal.codec.WireFormat;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.internal.scripts.TaskTransitions;
import dev.baton.internal.scripts.TaskScripts.FailMode;
import dev.baton.internal.scripts.TaskScripts.ParkKind;
import java.io.PrintWriter;
import java.io.StringWriter;
import dev.baton.TaskEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the outcome of an attempt: success, retry after backoff, or dead letter. Each write is one
 * fenced script that also acknowledges the stream entry; successes go through the worker's
 * {@link Completer}, which writes many in one call. A write that fails because Redis is
 * unreachable is retried until {@link WorkerRuntime#outcomeRetryWindow()} ends (pauses and window
 * on the worker's clock); after that the entry stays pending, for recovery to hand to another worker.
 */
final class OutcomeWriter {
  private static final Logger log = LoggerFactory.getLogger(OutcomeWriter.class);
  private static final int STACK_FRAMES = 12;

  /** What the owner of the tasks does when a handler says the worker is at fault. */
  interface WorkerFaults {
    /** Gives {@code task} back uncounted and backs its agent type off; the attempt is not recorded. */
    void fault(StartedTask task, WorkerFaultException fault);

    /** An attempt ended in an outcome that is not a worker fault. */
    void healthy();
  }

  private final WorkerRuntime rt;
  private final RetryPolicy defaultPolicy;
  private final TaskTransitions scripts;
  private final WorkerFaults faults;
  private final V2Successes v2Successes;

  /** Layout 2's success path: queued for the fetch cycle, the handler's slot free at once. */
  interface V2Successes {
    java.util.concurrent.CompletableFuture<ScriptStatus> submit(StartedTask task, String resultJson);
  }

  /** @param v2Successes where successes go on layout 2, null on layout 1 (the worker's completer) */
  OutcomeWriter(WorkerRuntime rt, RetryPolicy defaultPolicy, V2Successes v2Successes, WorkerFaults faults) {
    this.rt = rt;
    this.v2Successes = v2Successes;
    this.defaultPolicy = defaultPolicy;
    this.scripts = TaskTransitions.of(rt.broker());
    this.faults = faults;
  }

  void write(StartedTask task, Outcome outcome) {
    Instant finished = rt.clock().instant();
    WorkerFaultException fault = outcome.succeeded() ? null : workerFault(outcome.error());
    if (fault != null) {
      faults.fault(task, fault);
      return;
    }
    faults.healthy();
    if (outcome.succeeded() && v2Successes != null) {
      v2Successes.submit(task, outcome.resultJson()).thenAccept(status -> {
        if (status == ScriptStatus.OK && rt.events().active()) {
          report(TaskEvent.Kind.SUCCEEDED, task, finished, null);
        }
      });
      return;
    }
    if (outcome.succeeded()) {
      String record = WireFormat.attemptRecord(
          new TaskError(task.attempt(), rt.consumerName(), task.startedAt(), finished, null, null, null));
      try {
        // uninterruptible: the permit must not come back before the outcome is written or given up
        ScriptStatus written = rt.completer().submit(task, outcome.resultJson(), record).join();
        if (written == ScriptStatus.OK && rt.events().active()) {
          report(TaskEvent.Kind.SUCCEEDED, task, finished, null);
        }
      } catch (CompletionException | CancellationException e) {
        // given up and logged by the completer: the entry stays pending for recovery
      }
      return;
    }
    Throwable error = outcome.error();
    if (parkIfWaitingForDependency(task, error)) {
      return;
    }
    fail(task, error, finished);
  }

  /**
   * Charges a worker fault to the task as a failed attempt (retry after backoff, or dead letter, as
   * any failure): the task was already released for a worker fault {@code releases} times, so it,
   * not the worker, is presumed at fault (release.lua left it held for this).
   */
  void chargeFault(StartedTask task, WorkerFaultException fault, int releases) {
    Instant finished = rt.clock().instant();
    fail(task, new WorkerFaultException("faulted the worker " + (releases + 1) + " times (released uncounted "
        + releases + " times, the most allowed): charged as a failed attempt: " + fault.getMessage(), fault), finished);
  }

  private void fail(StartedTask task, Throwable error, Instant finished) {
    String record = WireFormat.attemptRecord(new TaskError(task.attempt(), rt.consumerName(), task.startedAt(),
        finished, error.getClass().getName(), error.getMessage(), stackExcerpt(error)));
    FailMode mode;
    String reason = "";
    long delayMillis = 0;
    NonRetryableException nonRetryable = nonRetryable(error);
    if (nonRetryable != null) {
      mode = FailMode.DEAD;
      reason = "non-retryable error: " + describe(error);
    } else if (task.attempt() >= task.maxAttempts()) {
      mode = FailMode.DEAD;
      reason = "attempts exhausted (" + task.attempt() + "/" + task.maxAttempts() + "): " + describe(error);
    } else {
      mode = FailMode.RETRY;
      RetryPolicy policy = task.retryOverride() != null ? task.retryOverride() : defaultPolicy;
      delayMillis = policy.delayFor(task.attempt(), rt.random()).toMillis();
    }
    long delay = delayMillis;
    String why = reason;
    if (send(task, mode.wire(), () -> scripts.fail(task.agentType(), task, mode, delay, record, why))
        && rt.events().active()) {
      report(mode == FailMode.DEAD ? TaskEvent.Kind.DEAD : TaskEvent.Kind.RETRYING, task, finished,
          mode == FailMode.DEAD ? reason : describe(error));
    }
  }

  private void report(TaskEvent.Kind kind, StartedTask task, Instant finished, String detail) {
    rt.events().task(kind, task.agentType(), task.id(), task.attempt(), rt.consumerName(), finished,
        Duration.between(task.startedAt(), finished), detail);
  }

  /** Reconsider a task whose dependency reported itself down this long after (breaker closed). */
  static final long UNAVAILABLE_DEFER_MILLIS = 1_000;
  /** The shortest pause before a parked task is reconsidered. */
  static final long MIN_DEFER_MILLIS = 200;

  /**
   * Parks the task when its attempt ended because a dependency was unavailable or rate-limited:
   * no attempt is consumed and it waits out of the stream until the unparker hands it back.
   */
  private boolean parkIfWaitingForDependency(StartedTask task, Throwable error) {
    String dep;
    ParkKind kind;
    long afterMillis;
    Throwable cause = waitingCause(error);
    if (cause instanceof RateLimitedException r) {
      dep = r.dependency() == null ? "" : r.dependency();
      kind = ParkKind.RATE;
      afterMillis = r.retryAfter().toMillis();
    } else if (cause instanceof DependencyUnavailableException d) {
      dep = d.dependency() == null ? "" : d.dependency();
      kind = d.refusedByBreaker() ? ParkKind.OPEN : ParkKind.UNAVAILABLE;
      var view = rt.breakers().view(dep);
      afterMillis = view.blocks() ? view.openRemainingMillis()
          : d.refusedByBreaker() ? MIN_DEFER_MILLIS : UNAVAILABLE_DEFER_MILLIS;
    } else {
      return false;
    }
    String reason = describe(cause);
    long after = Math.max(MIN_DEFER_MILLIS, afterMillis);
    if (send(task, "park", () -> scripts.park(task.agentType(), task, dep, kind, reason, after))
        && rt.events().active()) {
      report(TaskEvent.Kind.PARKED, task, rt.clock().instant(), dep + ": " + reason);
    }
    return true;
  }

  /** The first dependency-unavailable or rate-limited exception in the cause chain, or null. */
  static Throwable waitingCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof DependencyUnavailableException || c instanceof RateLimitedException) {
        return c;
      }
      if (c instanceof NonRetryableException || c.getCause() == c) {
        return null;
      }
    }
    return null;
  }

  /** Writes until Redis answers or the retry window ends; true when the write took effect. */
  private boolean send(StartedTask task, String what, Supplier<TaskScripts.Written> write) {
    long deadline = rt.clock().nanoTime() + rt.outcomeRetryWindow().toNanos();
    long pause = 50;
    while (true) {
      try {
        TaskScripts.Written reply = write.get();
        if (reply.status() == ScriptStatus.NOT_HELD) {
          log.warn("{} of task {} rejected: this worker no longer holds attempt {} (state now {})",
              what, task.id(), task.attempt(), reply.state());
        } else if (reply.status() == ScriptStatus.NOT_FOUND) {
          log.warn("{} of task {} rejected: its record is gone", what, task.id());
        }
        return reply.status() == ScriptStatus.OK;
      } catch (RuntimeException e) {
        if (rt.clock().nanoTime() - deadline >= 0 || Thread.currentThread().isInterrupted()) {
          log.error("could not record {} of task {} (entry {}): {}; the entry stays pending for recovery",
              what, task.id(), task.entryId(), e.toString());
          return false;
        }
        log.debug("retrying {} of task {} after {}", what, task.id(), e.toString());
        try {
          rt.clock().sleep(Duration.ofMillis(pause));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
        pause = Math.min(2_000, pause * 2);
      }
    }
  }

  /**
   * The first {@link WorkerFaultException} in the cause chain, or null; null also when a {@link
   * NonRetryableException} comes first.
   */
  static WorkerFaultException workerFault(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof WorkerFaultException w) {
        return w;
      }
      if (c instanceof NonRetryableException || c.getCause() == c) {
        return null;
      }
    }
    return null;
  }

  static NonRetryableException nonRetryable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof NonRetryableException n) {
        return n;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  static String describe(Throwable t) {
    String msg = t.getMessage();
    String text = t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    return text.length() > 500 ? text.substring(0, 500) + "..." : text;
  }

  static String stackExcerpt(Throwable t) {
    StackTraceElement[] frames = t.getStackTrace();
    StringWriter out = new StringWriter();
    PrintWriter w = new PrintWriter(out);
    w.println(t);
    for (int i = 0; i < Math.min(STACK_FRAMES, frames.length); i++) {
      w.println("\tat " + frames[i]);
    }
    if (frames.length > STACK_FRAMES) {
      w.println("\t... " + (frames.length - STACK_FRAMES) + " more");
    }
    if (t.getCause() != null && t.getCause() != t) {
      w.println("Caused by: " + t.getCause());
    }
    w.flush();
    return out.toString();
  }

}
