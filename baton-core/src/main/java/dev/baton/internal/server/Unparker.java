package dev.baton.internal.server;

import dev.baton.resilience.BreakerState;
import dev.baton.TaskEvent;
import dev.baton.internal.breaker.Breakers;
import dev.baton.internal.events.LifecycleEvents;
import dev.baton.internal.breaker.DistributedBreaker;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Layout;
import dev.baton.internal.scripts.SchedulingScripts;
import dev.baton.internal.scripts.SchedulingV2Scripts;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hands parked tasks back to their stream once their dependency's breaker no longer blocks, in
 * waves shared by every worker (the unpark script keeps the ramp in Redis): first as many as the
 * breaker's permitted probes, then twice as many each interval. Tasks whose own max wait ran out
 * are dead-lettered with the reason. Any number of unparkers may run at once.
 */
public final class Unparker {
  /** Layout 2 ({@link Layout}), read when built. */
  private final boolean v2 = Layout.v2();
  static final int BATCH = 200;
  /** Hold for tasks whose breaker is open: looked at again after this at the latest. */
  static final long MAX_HOLD_MILLIS = 1_000;

  private final SchedulingScripts scripts;
  private final SchedulingV2Scripts v2Scripts;
  private final Breakers breakers;
  private final List<String> queues;
  private final Duration pause;
  private final Duration waveInterval;
  private final LifecycleEvents events;
  private final String worker;
  private final InstantSource clock;
  private final QueueIsolation isolation;

  public Unparker(RedisBroker broker, Breakers breakers, List<String> queues, Duration pause, Duration waveInterval,
      LifecycleEvents events, String worker, InstantSource clock) {
    this.events = events;
    this.worker = worker;
    this.clock = clock;
    this.scripts = new SchedulingScripts(broker);
    this.v2Scripts = new SchedulingV2Scripts(broker);
    this.breakers = breakers;
    this.queues = List.copyOf(queues);
    this.pause = pause;
    this.waveInterval = waveInterval;
    this.isolation = new QueueIsolation("unparker", broker.keys().prefix());
  }

  /** One look at every queue; a queue that fails is logged and skipped (see {@link QueueIsolation}). */
  public Duration runOnce() {
    for (String queue : queues) {
      isolation.run(queue, () -> releaseQueue(queue));
    }
    return pause;
  }

  /** One look at a queue's due parked tasks; returns {released, ended, held} summed. */
  long[] releaseQueue(String queue) {
    Map<String, String> due = v2 ? v2Scripts.parkedDue(queue, BATCH) : scripts.parkedDue(queue, BATCH);
    Map<String, List<String>> byDep = new LinkedHashMap<>();
    due.forEach((id, dep) -> byDep.computeIfAbsent(dep, d -> new ArrayList<>()).add(id));
    long[] sum = new long[3];
    for (Map.Entry<String, List<String>> e : byDep.entrySet()) {
      SchedulingScripts.Unparked r = unpark(queue, e.getKey(), e.getValue());
      sum[0] += r.released();
      sum[1] += r.ended();
      sum[2] += r.held();
      report(queue, e.getKey(), r);
    }
    return sum;
  }

  private void report(String queue, String dependency, SchedulingScripts.Unparked r) {
    if (!events.active()) {
      return;
    }
    Instant at = clock.instant();
    for (String id : r.releasedIds()) {
      events.task(TaskEvent.Kind.RELEASED, queue, id, 0, worker, at, null, "released from parking on " + dependency);
    }
    for (String id : r.endedIds()) {
      events.task(TaskEvent.Kind.DEAD, queue, id, 0, worker, at, null,
          "waited longer than its max wait for dependency " + dependency);
    }
  }

  private SchedulingScripts.Unparked unpark(String queue, String dep, List<String> ids) {
    if (v2 && SchedulingV2Scripts.NO_DEPENDENCY.equals(dep)) {
      // layout 2: members whose record names no dependency (no record, or one written outside
      // Baton): unpark dead-letters the ones without a payload and drops those that moved on
      return v2Scripts.unpark(queue, new SchedulingScripts.Unpark(dep, false, "", 1, waveInterval.toMillis(), 0,
          MAX_HOLD_MILLIS), ids);
    }
    DistributedBreaker.View v = breakers.view(dep);
    int probes = breakers.get(dep).map(b -> b.config().permittedProbes()).orElse(1);
    boolean release = !v.blocks();
    // while probing, release no more than the probes; once closed, ramp up from there
    int cap = v.state() == BreakerState.CLOSED ? 0 : probes;
    long hold = Math.max(100, Math.min(MAX_HOLD_MILLIS, v.openRemainingMillis()));
    SchedulingScripts.Unpark how =
        new SchedulingScripts.Unpark(dep, release, v.gen(), probes, waveInterval.toMillis(), cap, hold);
    return v2 ? v2Scripts.unpark(queue, how, ids) : scripts.unpark(queue, how, ids);
  }
}
