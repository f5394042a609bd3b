package dev.baton.internal.broker;

/**
 * The only place that knows Redis key names. Every key of one agent type shares the hash tag
 * {@code {agentType}}, so a queue lives in one Cluster slot and its scripts never cross slots.
 */
public final class Keys {
  /** The consumer group every worker of an agent type joins. */
  public static final String GROUP = "baton";

  private final String prefix;

  public Keys(String prefix) {
    this.prefix = prefix;
  }

  public String prefix() {
    return prefix;
  }

  private String base(String queue) {
    return prefix + ":{" + queue + "}:";
  }

  public String stream(String queue) {
    return base(queue) + "stream";
  }

  public String task(String queue, String id) {
    return base(queue) + "task:" + id;
  }

  /**
   * SCAN pattern matching every task record of {@code queue}. Prefixes and agent types cannot hold
   * glob characters (see their validation), so nothing needs escaping.
   */
  public String taskPattern(String queue) {
    return base(queue) + "task:*";
  }

  public String delayed(String queue) {
    return base(queue) + "delayed";
  }

  public String dead(String queue) {
    return base(queue) + "dead";
  }

  public String stats(String queue) {
    return base(queue) + "stats";
  }

  public String dedup(String queue, String dedupKey) {
    return base(queue) + "dedup:" + dedupKey;
  }

  /** Pub/Sub channel announcing the ids of tasks that reached a terminal state. */
  public String finishedChannel(String queue) {
    return base(queue) + "finished";
  }

  /** Random marker of the dataset's incarnation; its loss means Redis lost Baton's data. */
  public String epoch() {
    return prefix + ":epoch";
  }

  /** Set of known agent types; an index for listing only, never part of a task's state. */
  public String queues() {
    return prefix + ":queues";
  }

  // ---- limits: every key of one limit name shares the hash tag {limit:<name>} ----------------

  private String limitBase(String limit) {
    return prefix + ":{limit:" + limit + "}:";
  }

  /** Sliding log of a rate limit's reservations for one key. */
  public String rateLog(String limit, String key) {
    return limitBase(limit) + "rate:" + key;
  }

  /** Running sum of the units in {@link #rateLog}. */
  public String rateSum(String limit, String key) {
    return limitBase(limit) + "rate-sum:" + key;
  }

  /** The keys of a rate limit used within the last interval, scored by their last grant. */
  public String rateKeys(String limit) {
    return limitBase(limit) + "rate-keys";
  }

  /** Holders of a concurrency limit's permits for one key, scored by lease expiry. */
  public String permits(String limit, String key) {
    return limitBase(limit) + "permits:" + key;
  }

  /** The keys of a concurrency limit with a lease not yet run out, scored by the latest expiry. */
  public String permitKeys(String limit) {
    return limitBase(limit) + "permit-keys";
  }

  /** The settings a limit was last registered with, for readers that do not hold its config. */
  public String limitConfig(String limit) {
    return limitBase(limit) + "config";
  }

  /** Set of limit names ever registered; an index for listing only, like {@link #queues()}. */
  public String limits() {
    return prefix + ":limits";
  }
}
