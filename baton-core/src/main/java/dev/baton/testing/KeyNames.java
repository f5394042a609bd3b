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

  /** Key names under {@code prefix}, the key prefix of {@link dev.baton.BatonConfig}. */
  public KeyNames(String prefix) {
    this.keys = new Keys(prefix);
  }

  /** The stream of waiting and running entries of {@code queue}. */
  public String stream(String queue) {
    return keys.stream(queue);
  }

  /** The record (a hash) of task {@code id} of {@code queue}. */
  public String task(String queue, String id) {
    return keys.task(queue, id);
  }

  /** The sorted set of {@code queue}'s tasks waiting for a due time (retries, scheduled tasks). */
  public String delayed(String queue) {
    return keys.delayed(queue);
  }

  /** The sorted set of {@code queue}'s dead letters. */
  public String dead(String queue) {
    return keys.dead(queue);
  }

  /** The sorted set of {@code queue}'s parked tasks (waiting for a dependency). */
  public String parked(String queue) {
    return keys.parked(queue);
  }

  /** The Pub/Sub channel on which the ids of {@code queue}'s finished tasks are published. */
  public String finishedChannel(String queue) {
    return keys.finishedChannel(queue);
  }

  /** The hash of {@code queue}'s counters. */
  public String stats(String queue) {
    return keys.stats(queue);
  }
}
