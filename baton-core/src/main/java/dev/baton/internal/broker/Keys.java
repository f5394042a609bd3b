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

  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final ThreadLocal<java.security.MessageDigest> SHA1 = ThreadLocal.withInitial(() -> {
    try {
      return java.security.MessageDigest.getInstance("SHA-1");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JDK", e);
    }
  });

  private String base(String queue) {
    return prefix + ":{" + queue + "}:";
  }

  public String stream(String queue) {
    return base(queue) + "stream";
  }

  /** Layout v2: the key prefix every key of {@code queue} starts with, {@code P:{Q}:}. */
  public String queuePrefix(String queue) {
    return base(queue);
  }

  /**
   * Layout v2: the index bucket holding the state of task {@code id}: one of 4,096 hashes, chosen by
   * the first 3 hex digits of SHA-1(id), so each bucket stays a compact listpack (docs/hot-path-v2.md).
   */
  public String indexBucket(String queue, String id) {
    return base(queue) + "ix:" + bucketOf(id);
  }

  /** Layout v2: index bucket number {@code bucket} (0 to 4,095) of {@code queue}, for walking the index. */
  public String indexBucket(String queue, int bucket) {
    return base(queue) + "ix:" + new String(new char[] {HEX[(bucket >> 8) & 0xf], HEX[(bucket >> 4) & 0xf],
        HEX[bucket & 0xf]});
  }

  /** The first 3 hex digits of SHA-1({@code id}): the index bucket's suffix. */
  public static String bucketOf(String id) {
    byte[] d = SHA1.get().digest(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return new String(new char[] {HEX[(d[0] >> 4) & 0xf], HEX[d[0] & 0xf], HEX[(d[1] >> 4) & 0xf]});
  }

  /** Layout v2: the finished task (succeeded or cancelled), one string kept for the retention. */
  public String done(String queue, String id) {
    return base(queue) + "done:" + id;
  }

  /** Layout v2: the layout marker of {@code queue}, {@code 2}. */
  public String layout(String queue) {
    return base(queue) + "layout";
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

  /** Parked tasks: member id, score when to reconsider it (ms, server clock). */
  public String parked(String queue) {
    return base(queue) + "parked";
  }

  /** Per dependency: {@code n:<dep>} parked count and {@code r:<dep>} the release ramp. */
  public String parking(String queue) {
    return base(queue) + "parking";
  }

  // ---- dependencies: every key of one dependency shares the hash tag {dep:<name>} -------------

  private String depBase(String dependency) {
    return prefix + ":{dep:" + dependency + "}:";
  }

  /** The breaker's state hash. */
  public String breaker(String dependency) {
    return depBase(dependency) + "breaker";
  }

  /** Half-open probes in flight: member probe id, score lease end (ms, server clock). */
  public String breakerProbes(String dependency) {
    return depBase(dependency) + "probes";
  }

  /** The breaker's sliding window (a list for a count window, a hash of buckets for a time window). */
  public String breakerWindow(String dependency) {
    return depBase(dependency) + "window";
  }

  /** Capped stream of the breaker's transitions. */
  public String breakerEvents(String dependency) {
    return depBase(dependency) + "events";
  }

  /** Pub/Sub channel of the breaker's transitions ({@code from>to:gen}). */
  public String breakerChannel(String dependency) {
    return depBase(dependency) + "transitions";
  }

  /** Set of dependencies any worker registered; an index for listing only. */
  public String dependencies() {
    return prefix + ":dependencies";
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
