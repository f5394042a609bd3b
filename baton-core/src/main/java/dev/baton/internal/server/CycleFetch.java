package dev.baton.internal.server;

import dev.baton.NonRetryableException;
import dev.baton.internal.broker.RedisBroker.BlockingReader;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.CycleScripts.Isolation;
import dev.baton.internal.scripts.ScriptStatus;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Layout 2's fetch loop for one agent type (docs/hot-path-v2.md): each cycle is one pipelined round
 * trip on the reader's connection, {@code cycle.lua} (the successes finished since the last cycle,
 * and claims of released or recovered entries) followed by an {@code XREADGROUP} for the free
 * handler slots, blocking only when the last read found the queue drained and no success waits.
 * A handler's slot is free when it returns; its success waits here for the next cycle, bounded by
 * {@code maxUnwritten} (a handler blocks while that many wait), and its lease is renewed meanwhile.
 * A success that arrives while the read blocks wakes it. Suspects are run alone: on the cycle's
 * word this loop stops reading, lets its tasks end, then takes one suspect at a time.
 */
final class CycleFetch {
  private static final Logger log = LoggerFactory.getLogger(CycleFetch.class);
  static final int MAX_SUCCESSES_PER_CALL = 200;

  /** Where the tasks a cycle delivered go: started (each holding one of the slots handed over) or given back. */
  interface Dispatch {
    void dispatch(List<StartedTask> tasks, long readAtNanos);
  }

  /** A success waiting for the next cycle. */
  private record Pending(StartedTask task, String finishedValue, CompletableFuture<ScriptStatus> done) {}

  private final WorkerRuntime rt;
  private final String agentType;
  private final long leaseMillis;
  private final Semaphore permits;
  private final IntSupplier fetchLimit;
  private final Dispatch dispatch;
  private final OutcomeWriter writer;
  private final EntryDecoder decoder;
  private final CycleScripts scripts;
  private final BlockingReader reader;
  private final Semaphore unwritten;
  /**
   * How long the queue's isolation lock lasts unless this loop's next cycle renews it: the lease.
   * The lock holder is presumed gone by the same rule as its deliveries, so a worker killed (or
   * cut off) while isolating holds the suspects back no longer than its tasks: with a longer lock
   * every suspect of the queue would wait for it to run out, whatever the other workers do.
   */
  private final long lockMillis;
  /** While isolating, the loop cycles (and so renews the lock) at least three times per lock period. */
  private final long isolatingPollMillis;
  private final LinkedBlockingQueue<Pending> successes = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<Object> wake = new LinkedBlockingQueue<>();
  private volatile boolean blocking;
  /** How often a loop with nothing to write looks for released or recovered entries to claim. */
  static final long CLAIM_LOOK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /** The reply of a cycle that was not sent: nothing written, nothing claimed. */
  private static final CycleScripts.Reply NOTHING =
      new CycleScripts.Reply(List.of(), List.of(), List.of(), null, Isolation.NONE);
  /** When the loop next looks for entries to claim, by {@code rt.clock().nanoTime()}. */
  private long nextClaimLookNanos;
  private final java.util.concurrent.atomic.AtomicBoolean waking = new java.util.concurrent.atomic.AtomicBoolean();
  /** Unblock attempts of one wake, a millisecond apart: longer than a blocked read lasts. */
  private static final int WAKE_TRIES = 1_500;
  private volatile boolean stopped;
  private boolean drained = true; // the last read found fewer entries than it asked for
  private Isolation isolation = Isolation.NONE;
  private final Processor owner;

  /**
   * @param fetchLimit how many entries the loop may take now (0 while the fault back-off or a breaker
   *     says to fetch nothing); also bounds a half-open breaker's probes
   */
  CycleFetch(WorkerRuntime rt, Processor owner, BlockingReader reader, Semaphore permits, IntSupplier fetchLimit,
      Dispatch dispatch, OutcomeWriter writer) {
    this.rt = rt;
    this.owner = owner;
    this.agentType = owner.agentType();
    this.leaseMillis = owner.options().lease().toMillis();
    this.lockMillis = leaseMillis;
    this.isolatingPollMillis = Math.min(200, lockMillis / 3);
    this.reader = reader;
    this.permits = permits;
    this.fetchLimit = fetchLimit;
    this.dispatch = dispatch;
    this.writer = writer;
    this.decoder = new EntryDecoder(agentType, owner.options());
    this.scripts = new CycleScripts(rt.broker());
    this.unwritten = new Semaphore(Math.max(1, owner.options().concurrency()));
  }

  /**
   * Queues the success of {@code task} for the next cycle and returns at once (the handler's slot is
   * free); blocks only while {@code maxUnwritten} successes already wait. The future completes with
   * the script's status for it, or exceptionally when the write was given up.
   */
  CompletableFuture<ScriptStatus> submit(StartedTask task, String resultJson) {
    unwritten.acquireUninterruptibly();
    long finished = rt.clock().millis();
    String value = CycleScripts.finishedValue(finished, task.attempt(), finished - task.startedAt().toEpochMilli(),
        resultJson);
    Pending p = new Pending(task, value, new CompletableFuture<>());
    successes.add(p);
    wake.offer(Boolean.TRUE);
    if (blocking) {
      wakeReader(); // the read waits for new entries: the success must not wait with it
    }
    return p.done;
  }

  /**
   * Wakes the blocked read, from a virtual thread so the handler's slot is not held. The read is
   * sent before Redis blocks it, so an unblock can arrive too early and wake nothing: it is
   * retried every millisecond until it wakes the read or the read has returned by itself.
   */
  private void wakeReader() {
    if (!waking.compareAndSet(false, true)) {
      return; // a wake is under way
    }
    Thread.ofVirtual().name("baton-wake-" + agentType).start(() -> {
      try {
        for (int i = 0; i < WAKE_TRIES && blocking; i++) {
          if (reader.unblockOnce()) {
            return;
          }
          Thread.sleep(1);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        waking.set(false);
      }
    });
  }

  /** The tasks whose success waits for a cycle: their leases are renewed like running tasks'. */
  List<StartedTask> unwrittenTasks() {
    List<StartedTask> out = new ArrayList<>();
    for (Pending p : successes) {
      out.add(p.task);
    }
    return out;
  }

  /** A slot was freed without a success (failure, release): the loop may fetch again. */
  void slotFreed() {
    wake.offer(Boolean.TRUE);
  }

  void stop() {
    stopped = true;
    wake.offer(Boolean.TRUE);
  }

  /** One cycle. */
  Duration runOnce() throws InterruptedException {
    int limit = stopped ? 0 : fetchLimit.getAsInt();
    int held = 0;
    if (limit > 0 && isolation == Isolation.NONE) {
      held = permits.drainPermits();
      if (held == 0 && successes.isEmpty()) {
        wake.poll(200, TimeUnit.MILLISECONDS); // a slot or a success will come
        held = permits.drainPermits();
      }
      if (held > limit) {
        permits.release(held - limit);
        held = limit;
      }
    } else if (successes.isEmpty() && isolation == Isolation.NONE) {
      wake.poll(200, TimeUnit.MILLISECONDS);
      return Duration.ZERO;
    }
    List<Pending> batch = new ArrayList<>();
    successes.drainTo(batch, MAX_SUCCESSES_PER_CALL);
    Isolation step = isolation;
    int claimMax = held;
    if (isolation != Isolation.NONE) {
      boolean idle = owner.inFlight() == 0 && batch.isEmpty();
      step = idle ? Isolation.ALONE : Isolation.DRAIN;
      if (!idle && batch.isEmpty()) {
        wake.poll(isolatingPollMillis, TimeUnit.MILLISECONDS); // renews the lock while draining
      }
      if (step == Isolation.ALONE && permits.tryAcquire()) {
        held = 1;
      }
      claimMax = step == Isolation.ALONE ? held : 0;
    }
    if (batch.isEmpty() && held == 0 && step == Isolation.NONE) {
      return Duration.ZERO;
    }
    boolean read = held > 0 && step == Isolation.NONE;
    int asked = read ? held : 0;
    Duration block = read && batch.isEmpty() && drained ? Processor.BLOCK : null;
    if (block != null) {
      // say so before the last look at the successes: one submitted after that look unblocks the
      // read, one submitted before it is seen here and the read does not block
      blocking = true;
      if (!successes.isEmpty()) {
        block = null;
        blocking = false;
      }
    }
    // with no success to write and no isolation step, the script is only needed to look for entries
    // to claim: skipped while the last look found fewer than it could take, until the next look is
    // due, so a worker at a low rate does not pay a script call per read
    boolean script = !batch.isEmpty() || step != Isolation.NONE || rt.clock().nanoTime() - nextClaimLookNanos >= 0;
    CompletableFuture<CycleScripts.Reply> cycle;
    CompletableFuture<List<StreamMessage<String, String>>> entries;
    try {
      cycle = script
          ? scripts.cycleOn(reader, agentType, rt.consumerName(), rt.retentionMillis(), claimMax, step, lockMillis,
              successes(batch))
          : CompletableFuture.completedFuture(NOTHING);
      blocking = block != null;
      entries = read ? reader.readAsync(held, block) : CompletableFuture.completedFuture(List.of());
    } catch (RuntimeException e) {
      blocking = false;
      failed(batch, held, e);
      return Duration.ofMillis(100);
    }
    CycleScripts.Reply reply;
    try {
      reply = rt.broker().await(cycle);
    } catch (RuntimeException e) {
      blocking = false;
      awaitQuietly(entries); // entries it delivered stay pending under this worker: recovered after the lease
      failed(batch, held, e);
      return Duration.ofMillis(100);
    }
    settle(batch, reply);
    isolation = reply.isolation();
    if (script) {
      long now = rt.clock().nanoTime();
      nextClaimLookNanos = reply.claimed().size() < claimMax || claimMax == 0 ? now + CLAIM_LOOK_NANOS : now;
    }
    Instant now = Instant.ofEpochMilli(rt.clock().millis());
    // claimed entries start now, not after the read (which may block while the queue is empty)
    List<StartedTask> claimed = new ArrayList<>();
    for (CycleScripts.Claimed c : reply.claimed()) {
      decode(claimed, () -> decoder.claimed(c, now));
    }
    held = start(claimed, held, rt.clock().nanoTime());
    List<StreamMessage<String, String>> got;
    try {
      got = entries.get(Processor.BLOCK.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      got = List.of();
      log.warn("read of {} failed: {}; entries it delivered are recovered after their lease", agentType, e.toString());
      reader.refreshClientIdQuietly();
    } finally {
      blocking = false;
    }
    long readAt = rt.clock().nanoTime();
    Instant readInstant = Instant.ofEpochMilli(rt.clock().millis());
    List<StartedTask> fresh = new ArrayList<>(got.size());
    for (StreamMessage<String, String> m : got) {
      decode(fresh, () -> decoder.entry(m.getId(), m.getBody(), readInstant));
    }
    drained = read && got.size() < asked;
    held = start(fresh, held, readAt);
    permits.release(held);
    return Duration.ZERO;
  }

  /**
   * Starts {@code tasks} with the {@code held} slots handed over (taking more if free, giving the
   * rest back to the queue); returns the slots still held.
   */
  private int start(List<StartedTask> tasks, int held, long deliveredAt) {
    if (tasks.isEmpty()) {
      return held;
    }
    while (held < tasks.size() && permits.tryAcquire()) {
      held++;
    }
    List<StartedTask> run = tasks;
    if (tasks.size() > held) {
      run = new ArrayList<>(tasks.subList(0, held));
      owner.release(new ArrayList<>(tasks.subList(held, tasks.size())), "fetched beyond the free handler slots");
    }
    if (rt.events().active()) {
      for (StartedTask t : run) {
        rt.events().task(dev.baton.TaskEvent.Kind.STARTED, agentType, t.id(), t.attempt(), rt.consumerName(),
            t.startedAt(), null, null);
      }
    }
    dispatch.dispatch(run, deliveredAt);
    return held - run.size();
  }

  private interface Decoding {
    StartedTask decode();
  }

  private void decode(List<StartedTask> into, Decoding d) {
    try {
      StartedTask t = d.decode();
      if (t != null) {
        into.add(t);
      }
    } catch (EntryDecoder.Malformed m) {
      writer.write(m.shell(), Outcome.failure(new NonRetryableException(m.getMessage(), m.getCause())));
    }
  }

  private static List<CycleScripts.Success> successes(List<Pending> batch) {
    List<CycleScripts.Success> out = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      out.add(new CycleScripts.Success(p.task.id(), p.task.deliveryToken(), p.finishedValue));
    }
    return out;
  }

  private void settle(List<Pending> batch, CycleScripts.Reply reply) {
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      ScriptStatus status = reply.statuses().get(i);
      if (status == ScriptStatus.NOT_HELD) {
        log.warn("success of task {} rejected: this worker no longer holds attempt {} (state now {})", p.task.id(),
            p.task.attempt(), reply.states().get(i));
      } else if (status == ScriptStatus.NOT_FOUND) {
        log.warn("success of task {} rejected: the task is gone", p.task.id());
      }
      unwritten.release();
      p.done.complete(status);
    }
  }

  /** A cycle whose script failed: its successes wait for the next one, its slots come back. */
  private void failed(List<Pending> batch, int held, RuntimeException e) {
    log.warn("cycle of {} failed ({}); {} success(es) wait for the next one", agentType, e.toString(), batch.size());
    successes.addAll(batch);
    permits.release(held);
    // the connection may have been re-established under a new client id: CLIENT UNBLOCK must name it,
    // else every success that arrives while a read blocks waits out the block (as layout 1's loop does)
    reader.refreshClientIdQuietly();
  }

  private static void awaitQuietly(CompletableFuture<?> f) {
    try {
      f.get(Processor.BLOCK.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // nothing to do: see the caller
    }
  }

  /**
   * Writes what still waits, on the shared connection, once the loop has stopped and the handlers
   * have ended; a success that cannot be written is given up (its entry stays pending for recovery).
   */
  void flush() {
    List<Pending> rest = new ArrayList<>();
    successes.drainTo(rest);
    for (int from = 0; from < rest.size(); from += MAX_SUCCESSES_PER_CALL) {
      List<Pending> batch = rest.subList(from, Math.min(rest.size(), from + MAX_SUCCESSES_PER_CALL));
      try {
        settle(batch, rt.broker().await(scripts.cycle(agentType, rt.consumerName(), rt.retentionMillis(), 0,
            Isolation.NONE, lockMillis, successes(batch))));
      } catch (RuntimeException e) {
        for (Pending p : batch) {
          log.error("could not record success of task {} (entry {}): {}; the entry stays pending for recovery",
              p.task.id(), p.task.entryId(), e.toString());
          unwritten.release();
          p.done.completeExceptionally(e);
        }
      }
    }
  }
}
