package dev.baton.internal.server;

import dev.baton.resilience.BreakerState;
import dev.baton.resilience.DependencyUnavailableException;
import dev.baton.TaskEvent;
import dev.baton.HandlerOptions;
import dev.baton.TaskHandler;
import dev.baton.WorkerFaultException;
import dev.baton.internal.breaker.DistributedBreaker;
import dev.baton.internal.broker.Layout;
import dev.baton.internal.broker.RedisBroker.BlockingReader;
import dev.baton.internal.scripts.EnqueueV2Scripts;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.internal.scripts.TaskTransitions;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
  /** How often a fetch loop held back by an open breaker looks at it again. */
  static final long BREAKER_RECHECK_MILLIS = 200;

  private final WorkerRuntime rt;
  private final String agentType;
  private final HandlerOptions options;
  private final TaskHandler handler;
  private final OutcomeWriter writer;
  private final TaskStarter starter;
  private final TaskScripts scripts;
  private final TaskTransitions transitions;
  private final Semaphore permits;
  private final FaultBackoff faultBackoff;
  private final Set<TaskExecution> inFlight = ConcurrentHashMap.newKeySet();
  private final ReentrantLock idleLock = new ReentrantLock();
  private final Condition idle = idleLock.newCondition();
  private volatile BlockingReader reader;
  private LoopRunner loop;
  /** Layout 2's fetch cycle ({@link Layout}); null on layout 1. */
  private volatile CycleFetch cycle;

  public Processor(WorkerRuntime rt, String agentType, HandlerOptions options, TaskHandler handler) {
    this.rt = rt;
    this.agentType = agentType;
    this.options = options;
    this.handler = handler;
    this.faultBackoff = new FaultBackoff(agentType, rt.clock());
    this.writer = new OutcomeWriter(rt, options.retryPolicy(), Layout.v2() ? (task, result) -> cycle.submit(task, result)
        : null, new OutcomeWriter.WorkerFaults() {
      @Override
      public void fault(StartedTask task, WorkerFaultException fault) {
        workerFault(task, fault);
      }

      @Override
      public void healthy() {
        faultBackoff.healthy();
      }
    });
    this.starter = new TaskStarter(rt, agentType, options, writer);
    this.scripts = new TaskScripts(rt.broker());
    this.transitions = TaskTransitions.of(rt.broker());
    this.permits = new Semaphore(options.concurrency());
  }

  public String agentType() {
    return agentType;
  }

  public void start() {
    if (Layout.v2()) {
      new EnqueueV2Scripts(rt.broker()).ensureQueue(agentType);
    } else {
      scripts.ensureGroup(agentType);
    }
    reader = scripts.openReader(agentType, rt.consumerName());
    if (Layout.v2()) {
      cycle = new CycleFetch(rt, this, reader, permits, this::fetchLimit, this::launchAll, writer);
      loop = new LoopRunner("baton-processor-" + agentType, cycle::runOnce, rt.clock());
    } else {
      loop = new LoopRunner("baton-processor-" + agentType, this::runOnce, rt.clock());
    }
    loop.start();
  }

  /**
   * One fetch: waits for a free permit, reads up to the free permits' worth of entries, starts them.
   * While a declared dependency's breaker is open it reads nothing (entries wait in the stream,
   * their attempts untouched); while one is probing it reads at most the permitted probes.
   */
  Duration runOnce() throws InterruptedException {
    Duration backingOff = faultBackoff.remaining();
    if (backingOff.isPositive()) {
      return backingOff; // a handler said this worker is broken: fetch nothing until the back-off ends
    }
    int limit = MAX_BATCH;
    for (String dep : options.dependencies()) {
      DistributedBreaker.View v = rt.breakers().view(dep);
      if (v.blocks()) {
        return Duration.ofMillis(Math.min(BREAKER_RECHECK_MILLIS, v.openRemainingMillis()));
      }
      if (v.state() != BreakerState.CLOSED) {
        limit = Math.min(limit, rt.breakers().get(dep).map(b -> b.config().permittedProbes()).orElse(MAX_BATCH));
      }
    }
    if (!permits.tryAcquire(200, TimeUnit.MILLISECONDS)) {
      return Duration.ZERO;
    }
    backingOff = faultBackoff.remaining(); // the permit may have come back from the faulting handler
    if (backingOff.isPositive()) {
      permits.release();
      return backingOff;
    }
    int held = 1 + permits.drainPermits();
    if (held > limit) {
      permits.release(held - limit);
      held = limit;
    }
    List<StreamMessage<String, String>> entries;
    try {
      entries = loop.isStopped() ? List.of() : reader.read(held, BLOCK);
    } catch (RuntimeException e) {
      permits.release(held);
      reader.refreshClientIdQuietly();
      throw e;
    }
    // when the read returned: the entries were delivered just before (Redis answers a blocked read
    // as soon as it delivers), so their leases count from about now (on the worker's clock, the one
    // the heartbeat's expiry check reads)
    long readAt = rt.clock().nanoTime();
    permits.release(held - entries.size());
    if (!entries.isEmpty()) {
      dispatch(entries, readAt);
    }
    return Duration.ZERO;
  }

  /**
   * How many entries layout 2's cycle may take now: none while backing off after a worker fault or
   * while a declared dependency's breaker is open; at most the permitted probes while one probes.
   */
  private int fetchLimit() {
    if (faultBackoff.remaining().isPositive()) {
      return 0;
    }
    int limit = MAX_BATCH;
    for (String dep : options.dependencies()) {
      DistributedBreaker.View v = rt.breakers().view(dep);
      if (v.blocks()) {
        return 0;
      }
      if (v.state() != BreakerState.CLOSED) {
        limit = Math.min(limit, rt.breakers().get(dep).map(b -> b.config().permittedProbes()).orElse(MAX_BATCH));
      }
    }
    return limit;
  }

  /**
   * Starts the entries read; each holds one permit, given back when its handler ends. Entries whose
   * start was answered so late that their lease (counted from the read's reply) is about to run
   * out, or already has, are given back at once instead of run: another worker may be taking them
   * over.
   */
  private void dispatch(List<StreamMessage<String, String>> entries, long readAt) {
    List<StartedTask> tasks;
    try {
      tasks = starter.start(entries);
    } catch (RuntimeException e) {
      permits.release(entries.size());
      log.error("could not start {} entries of {}: {}; they are recovered when their lease runs out",
          entries.size(), agentType, e.toString());
      throw e;
    }
    permits.release(entries.size() - tasks.size());
    launchAll(tasks, readAt);
  }

  /**
   * Launches {@code tasks}, each holding one permit, unless this worker is backing off after a worker
   * fault or they were delivered too late in their lease: then they are given back.
   */
  private void launchAll(List<StartedTask> tasks, long readAt) {
    if (!tasks.isEmpty() && faultBackoff.remaining().isPositive()) {
      // read by a read that was already waiting when a handler reported a worker fault (a released
      // task comes back to the stream at once): not run here while backing off
      permits.release(tasks.size());
      int n = release(tasks, "worker backing off after a worker fault");
      log.debug("{} task(s) of {} read while backing off after a worker fault: {} given back", tasks.size(), agentType,
          n);
      return;
    }
    long age = rt.clock().nanoTime() - readAt;
    if (!tasks.isEmpty() && age > options.lease().minus(options.heartbeatInterval()).toNanos()) {
      permits.release(tasks.size());
      int n = release(tasks, "started too late to run within its lease");
      log.warn("{} task(s) of {} started {} ms after their read, past the lease ({}) minus a heartbeat: not run, {} "
          + "given back to the queue (the others were taken over meanwhile)", tasks.size(), agentType,
          Duration.ofNanos(age).toMillis(), options.lease(), n);
      return;
    }
    for (StartedTask task : tasks) {
      launch(task, readAt);
    }
  }

  private void launch(StartedTask task, long readAt) {
    TaskExecution[] self = new TaskExecution[1];
    self[0] = new TaskExecution(rt, task, handler, writer, () -> finished(self[0]), this::refusal, readAt);
    inFlight.add(self[0]);
    try {
      rt.handlers().execute(self[0]);
    } catch (RuntimeException e) {
      inFlight.remove(self[0]);
      permits.release();
      log.error("cannot run task {}: {}; it is recovered when its lease runs out", task.id(), e.toString());
    }
  }

  /**
   * A refusal when a declared dependency's breaker is open now: a read that was blocked when the
   * breaker opened can still deliver entries, and those must not start either.
   */
  private Throwable refusal() {
    for (String dep : options.dependencies()) {
      DistributedBreaker.View v = rt.breakers().view(dep);
      if (v.blocks()) {
        return DependencyUnavailableException.refused(dep, "circuit breaker of '" + dep + "' is open (retry in "
            + v.openRemainingMillis() + "ms); not started");
      }
    }
    return null;
  }

  private void finished(TaskExecution execution) {
    inFlight.remove(execution);
    permits.release();
    CycleFetch c = cycle;
    if (c != null) {
      c.slotFreed();
    }
    idleLock.lock();
    try {
      idle.signalAll();
    } finally {
      idleLock.unlock();
    }
  }

  /**
   * Stops reading new entries; tasks already running go on. The stop flag is set first, then the
   * blocked read is woken until the loop has ended, so no read can start (or stay blocked) after
   * this returns. Real time: shutdown must not wait for a test clock.
   */
  public void stopFetching() {
    if (loop == null) {
      return;
    }
    loop.requestStop();
    if (cycle != null) {
      cycle.stop();
    }
    long deadline = System.nanoTime() + BLOCK.plusSeconds(2).toNanos();
    // a loop between passes ends at once; a read blocked for up to BLOCK is woken after a short look
    Duration wait = Duration.ofMillis(5);
    while (!loop.awaitExit(wait) && System.nanoTime() < deadline) {
      reader.unblock();
      wait = Duration.ofMillis(50);
    }
  }

  /** Waits until no task runs or the deadline ({@link System#nanoTime}) passes; true if none runs. */
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
    int n = release(abandoned, "worker stopping: still running at the end of the shutdown grace");
    log.warn("{} task(s) of {} still running at the end of the shutdown grace were interrupted and {} released "
        + "to other workers", abandoned.size(), agentType, n);
    return n;
  }

  /**
   * Releases a task whose handler reported a worker fault, uncounted, and pauses fetching; a task
   * already released for a worker fault the most times allowed is charged the fault as a failed
   * attempt instead (no pause: the task, not the worker, is presumed at fault).
   */
  private void workerFault(StartedTask task, WorkerFaultException fault) {
    int cap = rt.maxFaultReleases();
    TaskScripts.Released r;
    try {
      r = transitions.releaseForFault(agentType, rt.consumerName(), cap, List.of(task));
    } catch (RuntimeException e) {
      log.warn("task {} of {} could not be given back after a worker fault ({}); it is taken over when its lease "
          + "runs out", task.id(), agentType, e.toString());
      faultBackoff.fault(task.id(), fault, false);
      return;
    }
    if (r.charged().contains(task.id())) {
      log.warn("worker fault in {} (task {}): {}; the task was released for a worker fault {} time(s) already, "
          + "the most allowed: charged as a failed attempt", agentType, task.id(), fault.getMessage(), cap);
      writer.chargeFault(task, fault, cap);
      return;
    }
    reportReleased(List.of(task), r.released(), "worker fault: " + OutcomeWriter.describe(fault));
    faultBackoff.fault(task.id(), fault, !r.released().isEmpty());
  }

  /**
   * Gives {@code tasks} (started by this worker, not running) back to the queue at once, fenced: a
   * task taken over meanwhile is left alone. Returns how many went back; on a Redis failure, none
   * (they are taken over when their lease runs out).
   */
  int release(List<StartedTask> tasks, String why) {
    try {
      List<String> released = transitions.release(agentType, rt.consumerName(), tasks);
      reportReleased(tasks, released, why);
      return released.size();
    } catch (RuntimeException e) {
      log.warn("{} task(s) of {} could not be given back ({}); they are taken over when their lease runs out",
          tasks.size(), agentType, e.toString());
      return 0;
    }
  }

  private void reportReleased(List<StartedTask> tasks, List<String> released, String why) {
    if (rt.events().active()) {
      java.time.Instant at = rt.clock().instant();
      for (StartedTask t : tasks) {
        if (released.contains(t.id())) {
          rt.events().task(TaskEvent.Kind.RELEASED, agentType, t.id(), t.attempt(), rt.consumerName(), at, null, why);
        }
      }
    }
  }

  public int inFlight() {
    return inFlight.size();
  }

  /** Layout 2: the tasks whose success waits for the next cycle (their leases are renewed too). */
  List<StartedTask> unwrittenTasks() {
    CycleFetch c = cycle;
    return c == null ? List.of() : c.unwrittenTasks();
  }

  /** Layout 2: writes the successes still waiting, once the handlers have ended (at shutdown). */
  public void flushOutcomes() {
    CycleFetch c = cycle;
    if (c != null) {
      c.flush();
    }
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
