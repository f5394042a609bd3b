package dev.baton.internal.breaker;

import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.DependencyConfig;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.events.LifecycleEvents;
import dev.baton.internal.scripts.BreakerScripts;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.time.Timekeeper;
import java.time.Duration;
import java.time.InstantSource;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One dependency's breaker as this worker uses it: the Redis breaker, shared by every worker,
 * decides while Redis answers; a {@link LocalBreaker}, fed the same outcomes, decides when it does
 * not. No method throws because Redis is unreachable. Thread-safe.
 *
 * <p>How long a state read is reused, how long the local breaker decides after Redis failed, and the
 * local breaker's own windows and open period are on the worker's clock; the Redis breaker's are
 * Redis server time.
 */
public final class DistributedBreaker {
  private static final Logger log = LoggerFactory.getLogger(DistributedBreaker.class);
  /** After Redis failed, how long this breaker decides locally before asking Redis again. */
  static final Duration REDIS_RETRY_AFTER = Duration.ofSeconds(1);
  /** The longest a breaker call waits for Redis before deciding locally. */
  static final Duration REDIS_WAIT = Duration.ofMillis(500);
  /** How long a state read is reused by the fetch and release loops. */
  static final long VIEW_TTL_NANOS = Duration.ofMillis(100).toNanos();

  /** Permission to call: from Redis (gen, probe id) or from the local breaker. */
  public record Permit(boolean allowed, boolean remote, long gen, String probeId, long retryAfterMillis,
      LocalBreaker.Permit local) {}

  /** The breaker's state as last read; {@code gen} is prefixed L when it comes from the local breaker. */
  public record View(BreakerState state, String gen, long openRemainingMillis) {
    public boolean blocks() {
      return state == BreakerState.OPEN && openRemainingMillis > 0;
    }
  }

  private final DependencyConfig dependency;
  private final BreakerConfig config;
  private final BreakerScripts scripts;
  private final LocalBreaker local;
  private final LifecycleEvents events;
  private final Timekeeper time;
  private volatile long redisDownUntilNanos;
  private volatile long lastWarnNanos;
  private volatile View view;
  private volatile long viewReadNanos;
  /** Guards {@link #view}'s updates and {@link #newestGen}. */
  private final ReentrantLock viewLock = new ReentrantLock();
  /** The highest Redis generation this worker has seen; an older reply must not be remembered. */
  private long newestGen = -1;

  /**
   * A breaker on {@code clock} that reports to no listener: a {@code SettableClock} drives its
   * local time, any other is real time.
   */
  public DistributedBreaker(DependencyConfig dependency, RedisBroker broker, InstantSource clock) {
    this(dependency, broker, Timekeeper.of(clock, null), LifecycleEvents.NONE);
  }

  public DistributedBreaker(DependencyConfig dependency, RedisBroker broker, Timekeeper time, LifecycleEvents events) {
    this.events = events;
    this.dependency = dependency;
    this.config = dependency.breaker();
    this.scripts = new BreakerScripts(broker);
    this.time = time;
    this.redisDownUntilNanos = time.nanoTime();
    this.local = new LocalBreaker(config, time);
  }

  public String name() {
    return dependency.name();
  }

  public BreakerConfig config() {
    return config;
  }

  LocalBreaker local() {
    return local;
  }

  /** The clock its local decisions and call durations are measured on. */
  Timekeeper time() {
    return time;
  }

  public Permit acquire() {
    if (redisUp()) {
      String probeId = UUID.randomUUID().toString();
      try {
        BreakerScripts.Decision d = scripts.acquire(name(), config, probeId, REDIS_WAIT);
        if (d.transition() != null) {
          events.breakerTransition(d.transition());
        }
        BreakerState st = d.state();
        long retryAfter = d.retryAfterMillis();
        remember(new View(st, Long.toString(d.gen()), st == BreakerState.OPEN ? retryAfter : 0), d.gen());
        return new Permit(d.allowed(), true, d.gen(), d.status() == ScriptStatus.PROBE ? probeId : "", retryAfter,
            null);
      } catch (RuntimeException e) {
        redisFailed(e);
      }
    }
    LocalBreaker.Permit p = local.acquire();
    return new Permit(p.allowed(), false, p.gen(), "", p.retryAfterMillis(), p);
  }

  /**
   * Records a call's outcome. {@code counted} false: the outcome says nothing about the
   * dependency (a probe's slot is given back).
   */
  public void record(Permit permit, boolean counted, boolean failed, boolean slow) {
    if (!permit.allowed()) {
      return;
    }
    if (!permit.remote()) {
      local.record(permit.local(), counted, failed, slow);
      return;
    }
    if (counted) {
      local.shadow(failed, slow);
    }
    if (!redisUp()) {
      return; // Redis went away during the call: a probe's lease frees its slot
    }
    try {
      BreakerScripts.Outcome outcome = !counted ? BreakerScripts.Outcome.IGNORE
          : failed ? BreakerScripts.Outcome.FAILURE : BreakerScripts.Outcome.SUCCESS;
      BreakerScripts.Recorded r = scripts.record(name(), config, permit.gen(), permit.probeId(), outcome, slow,
          REDIS_WAIT);
      if (r.transition() != null) {
        events.breakerTransition(r.transition());
      }
      BreakerState st = r.state();
      long gen = r.gen();
      if (st != BreakerState.CLOSED) {
        forget(gen); // a transition: read the state again rather than guess the open time
      } else {
        remember(new View(st, Long.toString(gen), 0), gen);
      }
    } catch (RuntimeException e) {
      redisFailed(e);
    }
  }

  /** The state, read from Redis at most every 100 ms; the local breaker's without Redis. */
  public View view() {
    View v = view;
    if (v != null && time.nanoTime() - viewReadNanos < VIEW_TTL_NANOS) {
      return v;
    }
    if (redisUp()) {
      try {
        BreakerScripts.Snapshot s = scripts.state(name(), REDIS_WAIT);
        View fresh = new View(s.state(), Long.toString(s.gen()), s.openRemainingMillis());
        remember(fresh, s.gen());
        return fresh;
      } catch (RuntimeException e) {
        redisFailed(e);
      }
    }
    return localView();
  }

  private View localView() {
    return new View(local.state(), "L" + local.generation(), local.openRemainingMillis());
  }

  /**
   * Caches {@code v} for {@link #VIEW_TTL_NANOS}, unless this worker has already seen a later
   * generation: a reply read before a transition (another thread's call answered just before it)
   * must not bring the old state back for a whole TTL after the transition.
   */
  void remember(View v, long gen) {
    viewLock.lock();
    try {
      if (gen < newestGen) {
        return;
      }
      newestGen = gen;
      view = v;
      viewReadNanos = time.nanoTime();
    } finally {
      viewLock.unlock();
    }
  }

  /** Drops the cached view after a transition to generation {@code gen}. */
  void forget(long gen) {
    viewLock.lock();
    try {
      newestGen = Math.max(newestGen, gen);
      view = null;
    } finally {
      viewLock.unlock();
    }
  }

  private boolean redisUp() {
    return time.nanoTime() - redisDownUntilNanos >= 0;
  }

  private void redisFailed(RuntimeException e) {
    redisDownUntilNanos = time.nanoTime() + REDIS_RETRY_AFTER.toNanos();
    view = null;
    long now = time.nanoTime();
    if (lastWarnNanos == 0 || now - lastWarnNanos > Duration.ofSeconds(10).toNanos()) {
      lastWarnNanos = now;
      log.warn("breaker of {}: Redis unreachable ({}); this worker's local breaker decides for now (state {})",
          name(), e.toString(), local.state());
    }
  }
}
