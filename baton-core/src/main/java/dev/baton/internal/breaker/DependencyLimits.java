package dev.baton.internal.breaker;

import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.LimitRefusal;
import dev.baton.internal.events.LifecycleEvents;
import dev.baton.BatonClient;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.EstimateTooLargeException;
import dev.baton.NonRetryableException;
import dev.baton.resilience.RateLimitedException;
import dev.baton.resilience.RateLimiter;
import dev.baton.RedisUnavailableException;
import dev.baton.internal.time.Timekeeper;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet-wide limits of one dependency (calls per interval, units per interval, calls at once),
 * taken before a call and settled after it. A refusal becomes a {@link RateLimitedException} with
 * the limit's retry-after, and whatever was already taken for the call is given back. While Redis
 * cannot be reached the limits are skipped: their state lives there, and the breaker (which has a
 * local fallback) still protects the dependency. A held permit is renewed by a timer on the worker's
 * clock, three times per lease; the lease itself is Redis server time.
 */
public final class DependencyLimits {
  private static final Logger log = LoggerFactory.getLogger(DependencyLimits.class);
  private static final long SKIP_LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final String dependency;
  private final LifecycleEvents events;
  private final RateLimiter requests;
  private final RateLimiter units;
  private final ConcurrencyLimiter concurrency;
  private final Timekeeper time;
  private final AtomicLong lastSkipLog;

  public DependencyLimits(DependencyConfig config, BatonClient client, Timekeeper time, LifecycleEvents events) {
    this.dependency = config.name();
    this.events = events;
    this.requests = config.requestLimit() == null ? null
        : client.rateLimiter(config.name() + "/requests", config.requestLimit());
    this.units = config.unitLimit() == null ? null : client.rateLimiter(config.name() + "/units", config.unitLimit());
    this.concurrency = config.concurrencyLimit() == null ? null
        : client.concurrencyLimiter(config.name(), config.concurrencyLimit());
    this.time = time;
    this.lastSkipLog = new AtomicLong(time.nanoTime() - SKIP_LOG_EVERY_NANOS);
  }

  public boolean isEmpty() {
    return requests == null && units == null && concurrency == null;
  }

  /**
   * Takes a concurrency permit, one request and {@code estimatedUnits} (0: none) for one call under
   * {@code key}. Throws {@link RateLimitedException} when a limit refuses, having given back what it
   * took; {@link NonRetryableException} when the estimate exceeds the whole unit budget.
   */
  public Held admit(String key, long estimatedUnits) {
    Held held = new Held(key);
    try {
      if (concurrency != null) {
        ConcurrencyLimiter.Permit p = concurrency.acquire(key);
        if (!p.granted()) {
          throw refused(concurrency.name(), key, LimitUsage.Kind.CONCURRENCY, "calls at once", p.retryAfter(),
              p.inUse() + " of " + concurrency.limit().permits() + " in use");
        }
        held.permit = p;
        Duration every = concurrency.limit().lease().dividedBy(3);
        // the timer thread only hands the renewal to a virtual thread: a slow Redis must not delay
        // the task deadlines that share it
        held.renewal = time.scheduleRepeating(() -> held.renewAsync(concurrency), every);
      }
      if (requests != null) {
        RateLimiter.Reservation r = requests.reserve(key, 1);
        if (!r.granted()) {
          throw refused(requests.name(), key, LimitUsage.Kind.RATE, "requests per " + requests.limit().interval(),
              r.retryAfter(),
              r.windowUnits() + " of " + requests.limit().budget() + " used");
        }
        held.request = r;
      }
      if (units != null && estimatedUnits > 0) {
        RateLimiter.Reservation r = units.reserve(key, estimatedUnits);
        if (!r.granted()) {
          throw refused(units.name(), key, LimitUsage.Kind.RATE, "units per " + units.limit().interval(),
              r.retryAfter(),
              r.windowUnits() + " of " + units.limit().budget() + " used, " + estimatedUnits + " asked");
        }
        held.units = r;
      }
      return held;
    } catch (RateLimitedException e) {
      held.giveBack();
      throw e;
    } catch (EstimateTooLargeException e) {
      held.giveBack();
      throw new NonRetryableException(e.getMessage(), e);
    } catch (RedisUnavailableException e) {
      skipped(e);
      return held; // what was taken before Redis went away is settled at the end as usual
    }
  }

  private RateLimitedException refused(String limit, String key, LimitUsage.Kind kind, String what,
      Duration retryAfter, String detail) {
    events.limitRefused(new LimitRefusal(dependency, limit, key, kind, retryAfter));
    return new RateLimitedException(dependency, retryAfter,
        "limit of '" + dependency + "' on " + what + " reached (" + detail + "); retry in " + retryAfter.toMillis() + "ms");
  }

  private void skipped(RedisUnavailableException e) {
    long last = lastSkipLog.get();
    long now = time.nanoTime();
    if (now - last >= SKIP_LOG_EVERY_NANOS && lastSkipLog.compareAndSet(last, now)) {
      log.warn("limits of '{}' skipped: Redis unreachable ({}); the breaker still protects it", dependency,
          e.getMessage());
    }
  }

  /** What one call holds; {@link #finish} settles it once the call is over. */
  public final class Held {
    private final String key;
    private volatile ConcurrencyLimiter.Permit permit;
    private volatile Timekeeper.Timer renewal;
    private final AtomicBoolean renewing = new AtomicBoolean();
    private RateLimiter.Reservation request;
    private RateLimiter.Reservation units;

    private Held(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }

    private void renewAsync(ConcurrencyLimiter limiter) {
      if (renewing.compareAndSet(false, true)) {
        Thread.ofVirtual().name("baton-permit-renewal").start(() -> {
          try {
            renew(limiter);
          } finally {
            renewing.set(false);
          }
        });
      }
    }

    private void renew(ConcurrencyLimiter limiter) {
      ConcurrencyLimiter.Permit p = permit;
      if (p == null) {
        return;
      }
      try {
        ConcurrencyLimiter.Permit renewed = limiter.renew(p);
        if (permit != null) {
          permit = renewed;
        }
      } catch (RuntimeException e) {
        if (permit == null) {
          return; // released meanwhile: nothing lost
        }
        // a lost permit (PermitLostException) or Redis away: the call goes on; the limit may be
        // exceeded by this call until it ends, which the log says
        log.warn("permit of '{}' for key {} not renewed: {}", dependency, key, e.toString());
      }
    }

    /** Gives back everything, as if the call was never made. */
    private void giveBack() {
      settle(0, false);
    }

    /** Reconciles the units to {@code actualUnits} (negative: keep the estimate) and frees the permit. */
    public void finish(long actualUnits) {
      settle(actualUnits, true);
    }

    private void settle(long actualUnits, boolean made) {
      if (renewal != null) {
        renewal.cancel();
      }
      try {
        if (units != null && actualUnits >= 0 && actualUnits != units.units()) {
          DependencyLimits.this.units.reconcile(units, actualUnits);
        }
        if (request != null && !made) {
          requests.reconcile(request, 0); // the request was never made
        }
        ConcurrencyLimiter.Permit p = permit;
        permit = null; // a renewal still in flight must not put it back
        if (p != null) {
          concurrency.release(p);
        }
      } catch (RedisUnavailableException e) {
        skipped(e); // a permit not released comes back when its lease runs out
      }
    }
  }
}
