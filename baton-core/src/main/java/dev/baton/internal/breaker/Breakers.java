package dev.baton.internal.breaker;

import dev.baton.BreakerState;
import dev.baton.DependencyConfig;
import dev.baton.internal.broker.RedisBroker;
import java.time.InstantSource;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The breakers of the dependencies one worker registered, by name. Immutable after construction. */
public final class Breakers {
  private final Map<String, DistributedBreaker> byName = new LinkedHashMap<>();

  public Breakers(Collection<DependencyConfig> dependencies, RedisBroker broker, InstantSource clock) {
    for (DependencyConfig d : dependencies) {
      byName.put(d.name(), new DistributedBreaker(d, broker, clock));
    }
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
