package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import java.util.List;

/**
 * The deployment-wide keys without a hash tag: the index of agent types (for listing only, never
 * part of a task's state) and the epoch marker whose loss means Redis lost Baton's data. Every
 * call waits, up to the command timeout. Thread-safe.
 */
public final class Registry {
  private final RedisBroker broker;
  private final Keys keys;

  public Registry(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /** Adds {@code queue} to the index of agent types. */
  public void registerQueue(String queue) {
    broker.await(broker.sadd(keys.queues(), queue));
  }

  /** Every agent type ever registered, sorted. */
  public List<String> queues() {
    return broker.await(broker.smembersSorted(keys.queues()));
  }

  /** The dataset's epoch marker, created with {@code candidate} when missing. */
  public String epoch(String candidate) {
    broker.await(broker.setIfAbsent(keys.epoch(), candidate));
    String v = broker.await(broker.get(keys.epoch()));
    return v == null ? candidate : v;
  }
}
