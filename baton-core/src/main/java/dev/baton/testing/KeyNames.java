package dev.baton.testing;

import dev.baton.internal.broker.Keys;

/**
 * The Redis key names of one deployment's queue data, as docs/data-model.md documents them, for
 * tests, benchmarks and tools that read Redis directly (a chaos checker, a memory probe). Baton's
 * own code reaches Redis only through its gateways; this is a read-only view of the same names.
 * Immutable and thread-safe.
 */
public final class KeyNames {
  /** The consumer group every worker of a queue reads through. */
  public static final String GROUP = Keys.GROUP;

  private final Keys keys;

  /**
   * Key names under {@code prefix}.
   *
   * @param prefix the key prefix of {@link dev.baton.BatonConfig#keyPrefix()}
   */
  public KeyNames(String prefix) {
    this.keys = new Keys(prefix);
  }

  /**
   * The stream of waiting and running entries of {@code queue}.
   *
   * @param queue the queue (agent type)
   * @return the key name
   */
  public String stream(String queue) {
    return keys.stream(queue);
  }

  /**
   * The record (a hash) of task {@code id} of {@code queue}.
   *
   * @param queue the queue (agent type)
   * @param id the task id
   * @return the key name
   */
  public String task(String queue, String id) {
    return keys.task(queue, id);
  }

  /**
   * The sorted set of {@code queue}'s tasks waiting for a due time (retries, scheduled tasks).
   *
   * @param queue the queue (agent type)
   * @return the key name
   */
  public String delayed(String queue) {
    return keys.delayed(queue);
  }

  /**
   * The sorted set of {@code queue}'s dead letters.
   *
   * @param queue the queue (agent type)
   * @return the key name
   */
  public String dead(String queue) {
    return keys.dead(queue);
  }

  /**
   * The sorted set of {@code queue}'s parked tasks (waiting for a dependency).
   *
   * @param queue the queue (agent type)
   * @return the key name
   */
  public String parked(String queue) {
    return keys.parked(queue);
  }

  /**
   * The Pub/Sub channel on which the ids of {@code queue}'s finished tasks are published.
   *
   * @param queue the queue (agent type)
   * @return the key name
   */
  public String finishedChannel(String queue) {
    return keys.finishedChannel(queue);
  }

  /**
   * The hash of {@code queue}'s counters.
   *
   * @param queue the queue (agent type)
   * @return the key name
   */
  public String stats(String queue) {
    return keys.stats(queue);
  }
}
