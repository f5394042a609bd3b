package dev.baton.internal.breaker;

import dev.baton.BatonClient;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.Dependency;
import dev.baton.resilience.DependencyConfig;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.events.LifecycleEvents;
import dev.baton.internal.time.Timekeeper;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The breakers and limits of the dependencies one worker registered, by name. Immutable after
 * construction.
 */
public final class Breakers {
  private final Map<String, DistributedBreaker> byName = new LinkedHashMap<>();
  private final Map<String, DependencyLimits> limits = new LinkedHashMap<>();

  public Breakers(Collection<DependencyConfig> dependencies, BatonClient client, RedisBroker broker, Timekeeper time,
      LifecycleEvents events) {
    for (DependencyConfig d : dependencies) {
      byName.put(d.name(), new DistributedBreaker(d, broker, time, events));
      limits.put(d.name(), new DependencyLimits(d, client, time, events));
    }
  }

  /** A handle on {@code name} for one attempt, its limits counted under the default key. */
  public Optional<Dependency> handle(String name) {
    DistributedBreaker b = byName.get(name);
    return b == null ? Optional.empty() : Optional.of(new DependencyHandle(b, limits.get(name), null));
  }

  public Optional<DistributedBreaker> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public Collection<DistributedBreaker> all() {
    return byName.values();
  }

  /**
   * The view of {@code name}'s breaker; a dependency this worker does not know reads as closed (its
   * parked tasks, parked by another worker, are released as they come due).
   */
  public DistributedBreaker.View view(String name) {
    DistributedBreaker b = byName.get(name);
    return b == null ? new DistributedBreaker.View(BreakerState.CLOSED, "unknown", 0) : b.view();
  }
}
