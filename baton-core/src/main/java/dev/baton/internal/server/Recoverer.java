package dev.baton.internal.server;

import dev.baton.RedisUnavailableException;
import dev.baton.TaskEvent;
import dev.baton.internal.events.LifecycleEvents;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Layout;
import dev.baton.internal.scripts.RecoveryScripts;
import dev.baton.internal.scripts.RecoveryV2Scripts;
import dev.baton.internal.time.Timekeeper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes over tasks whose lease ran out (their worker died, hung or was cut off) and puts them back
 * on their stream for any worker, or dead-letters them once they have been delivered too often
 * without an outcome. Lease expiry is the entry's idle time in the pending list, measured by Redis,
 * so worker clocks never have to agree. Any number of recoverers may run at once.
 *
 * <p>After an outage it waits {@link #OUTAGE_GRACE} from the moment Redis answers again before
 * taking anything over: every lease ran out during a long outage, and the workers that finished
 * tasks meanwhile are still retrying their outcome writes (every 2 s at most). Taking those tasks
 * over first would run them again for nothing. An outage shows as a call that failed (Redis
 * unreachable for longer than the command timeout) or as a call answered late: the client holds
 * commands while it reconnects and sends them once Redis is back. The grace runs on the worker's
 * clock; how long a call took is real time.
 */
public final class Recoverer {
  private static final Logger log = LoggerFactory.getLogger(Recoverer.class);
  static final int BATCH = 100;
  /** Longer than the outcome writer's longest pause between retries (2 s), plus a reconnect. */
  public static final Duration OUTAGE_GRACE = Duration.ofSeconds(3);
  /** A look for stale entries answered later than this was held back by a reconnect. */
  static final Duration LATE_ANSWER = Duration.ofSeconds(1);

  /** What the recoverer needs to know about one agent type. */
  public record Target(String agentType, Duration lease, int maxDeliveries) {}

  private final RedisBroker broker;
  private final RecoveryScripts scripts;
  /** Layout 2's recovery ({@link Layout}); null on layout 1. */
  private final RecoveryV2Scripts v2;
  private final List<Target> targets;
  private final Duration period;
  private final LifecycleEvents events;
  private final String worker;
  private final Timekeeper time;
  private final QueueIsolation isolation;
  private boolean inOutage;
  /** When Redis was last seen back from an outage ({@link Timekeeper#nanoTime()}). */
  private long backSinceNanos;

  /** A recoverer on the system clock that reports to no listener (tests drive it by hand). */
  public Recoverer(RedisBroker broker, List<Target> targets, Duration period) {
    this(broker, targets, period, Timekeeper.system(), LifecycleEvents.NONE, "");
  }

  /** A recoverer on {@code time} that reports to no listener. */
  public Recoverer(RedisBroker broker, List<Target> targets, Duration period, Timekeeper time) {
    this(broker, targets, period, time, LifecycleEvents.NONE, "");
  }

  public Recoverer(RedisBroker broker, List<Target> targets, Duration period, Timekeeper time, LifecycleEvents events,
      String worker) {
    this.broker = broker;
    this.events = events;
    this.worker = worker;
    this.scripts = new RecoveryScripts(broker);
    this.v2 = Layout.v2() ? new RecoveryV2Scripts(broker) : null;
    this.targets = List.copyOf(targets);
    this.period = period;
    this.time = time;
    this.isolation = new QueueIsolation("recoverer", broker.keys().prefix());
    this.backSinceNanos = time.nanoTime() - OUTAGE_GRACE.toNanos();
  }

  public Duration runOnce() {
    try {
      if (inOutage) {
        broker.ping();
        inOutage = false;
        backSinceNanos = time.nanoTime();
        log.info("Redis is back: recovery resumes in {} ms, once outcomes written meanwhile have landed",
            OUTAGE_GRACE.toMillis());
      }
      if (time.nanoTime() - backSinceNanos < OUTAGE_GRACE.toNanos()) {
        return period;
      }
      // a queue that fails is logged and skipped; Redis unavailable ends the pass (see QueueIsolation)
      for (Target t : targets) {
        isolation.run(t.agentType(), () -> recover(t));
      }
    } catch (RedisUnavailableException e) {
      inOutage = true;
      throw e;
    }
    return period;
  }

  /** Layout 2's takeover (to ~recovered or ~suspect), in layout 1's reply shape. */
  private RecoveryScripts.Recovered recoverV2(String q, long lease, int maxDeliveries,
      List<RecoveryScripts.StaleEntry> stale) {
    RecoveryV2Scripts.Recovered r = v2.recover(q,
        stale.stream().map(e -> new RecoveryV2Scripts.StaleEntry(e.entryId(), e.taskId())).toList(), lease,
        maxDeliveries);
    if (!r.skippedKeys().isEmpty()) {
      log.error("{}: keys that are not hashes (written outside Baton?) kept their entries from recovery: {}", q,
          r.skippedKeys());
    }
    return new RecoveryScripts.Recovered(r.recovered(), r.deadLettered(), r.cleaned(), r.recoveredIds(), r.deadIds(),
        r.skippedKeys());
  }

  /** One agent type: returns {requeued, deadLettered, cleaned}. */
  long[] recover(Target target) {
    String q = target.agentType();
    long lease = target.lease().toMillis();
    long[] total = new long[3];
    while (true) {
      long asked = System.nanoTime(); // real time: how long Redis took to answer
      List<RecoveryScripts.StaleEntry> stale = v2 != null
          ? v2.stale(q, lease, BATCH).stream().map(e -> new RecoveryScripts.StaleEntry(e.entryId(), e.taskId())).toList()
          : scripts.stale(q, lease, BATCH);
      if (System.nanoTime() - asked > LATE_ANSWER.toNanos()) {
        backSinceNanos = time.nanoTime();
        log.info("Redis answered after {} ms (back from an outage?): recovery resumes in {} ms, once outcomes "
            + "written meanwhile have landed", Duration.ofNanos(System.nanoTime() - asked).toMillis(),
            OUTAGE_GRACE.toMillis());
        break;
      }
      if (stale.isEmpty()) {
        break;
      }
      RecoveryScripts.Recovered r = v2 != null ? recoverV2(q, lease, target.maxDeliveries(), stale)
          : scripts.recover(q, lease, target.maxDeliveries(), ThreadLocalRandom.current().nextDouble(), stale);
      total[0] += r.requeued();
      total[1] += r.deadLettered();
      total[2] += r.cleaned();
      report(q, r);
      if (stale.size() < BATCH) {
        break;
      }
    }
    if (total[0] + total[1] > 0) {
      log.warn("{}: took over {} task(s) whose lease ran out; {} dead-lettered (poison or lost entries)", q,
          total[0], total[1]);
    }
    return total;
  }

  private void report(String queue, RecoveryScripts.Recovered r) {
    if (!events.active()) {
      return;
    }
    Instant at = time.instant();
    for (String id : r.requeuedIds()) {
      events.task(TaskEvent.Kind.RECOVERED, queue, id, 0, worker, at, null, "lease ran out: taken over");
    }
    for (String id : r.deadIds()) {
      events.task(TaskEvent.Kind.DEAD, queue, id, 0, worker, at, null,
          "lease ran out: dead-lettered (max deliveries without an outcome, or its entry or record was lost)");
    }
  }
}
