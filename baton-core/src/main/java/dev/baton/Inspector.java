package dev.baton;

import dev.baton.resilience.BreakerInfo;
import dev.baton.resilience.BreakerState;
import dev.baton.resilience.BreakerTransition;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.RateLimiter;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.limits.RedisConcurrencyLimiter;
import dev.baton.internal.limits.RedisRateLimiter;
import dev.baton.internal.broker.Script;
import dev.baton.internal.codec.WireFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads task and queue state, and manages dead letters. The CLI and any dashboard read only through
 * this class. Get it from {@link BatonClient#inspector()}.
 *
 * <p>Thread-safe: one instance per client, shared by every thread. Each call is one or a few Redis
 * round trips and reads the state at that moment; a list built of several reads is not a snapshot.
 * Every method throws {@link RedisUnavailableException} when Redis cannot be reached or does not
 * answer within the command timeout, and {@link RedisConfigurationException} when it refuses the
 * credentials or a command.
 */
public final class Inspector {
  private final RedisBroker broker;

  Inspector(RedisBroker broker) {
    this.broker = broker;
  }

  /**
   * Agent types that ever had a task enqueued or a worker.
   *
   * @return the agent types, sorted
   */
  public List<String> agentTypes() {
    return broker.queues();
  }

  /**
   * The task with this id, looked up across all agent types (the first, in sorted order, that
   * holds the id).
   *
   * @param id the task id
   * @return the task's record now
   * @throws TaskNotFoundException when no agent type holds it
   * @throws BatonException when its record is malformed
   */
  public TaskInfo task(String id) {
    return task(find(id), id).orElseThrow(() -> new TaskNotFoundException(id));
  }

  /**
   * The task with this id in this agent type's queue, if it exists.
   *
   * @param agentType the agent type
   * @param id the task id
   * @return the task's record now, or empty
   * @throws BatonException when its record is malformed
   */
  public Optional<TaskInfo> task(String agentType, String id) {
    Map<String, String> fields = broker.hgetall(broker.keys().task(agentType, id));
    if (fields == null || fields.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(WireFormat.toTaskInfo(fields));
    } catch (IllegalArgumentException e) {
      throw new BatonException("task " + id + " has a malformed record: " + e.getMessage(), e);
    }
  }

  /** The agent type holding task {@code id}; throws {@link TaskNotFoundException} if none. */
  String find(String id) {
    if (!TaskRequest.ID.matcher(id).matches()) {
      throw new TaskNotFoundException(id);
    }
    List<String> holders = broker.queuesHolding(id, broker.queues());
    if (holders.isEmpty()) {
      throw new TaskNotFoundException(id);
    }
    return holders.get(0);
  }

  /**
   * Counts of one agent type's tasks by where they are, and its counters since it was created.
   *
   * @param agentType the agent type
   * @return its stats now (zeros for an agent type never used)
   */
  public QueueStats stats(String agentType) {
    Keys k = broker.keys();
    List<Object> r = broker.runSync(Script.STATS,
        new String[] {k.stream(agentType), k.delayed(agentType), k.dead(agentType), k.stats(agentType),
            k.parked(agentType)}, Keys.GROUP);
    long length = (Long) r.get(0);
    long pending = (Long) r.get(1);
    long succeeded = 0, cancelled = 0, enqueued = 0, retried = 0;
    for (int i = 5; i + 1 < r.size(); i += 2) {
      long v = Long.parseLong((String) r.get(i + 1));
      switch ((String) r.get(i)) {
        case "succeeded" -> succeeded = v;
        case "cancelled" -> cancelled = v;
        case "enqueued" -> enqueued = v;
        case "retried" -> retried = v;
        default -> {}
      }
    }
    return new QueueStats(agentType, Math.max(0, length - pending), pending, (Long) r.get(2), (Long) r.get(3),
        succeeded, cancelled, enqueued, retried, (Long) r.get(4));
  }

  /**
   * Every dependency a worker registered, with its breaker's state.
   *
   * @return the breakers, sorted by dependency name
   */
  public List<BreakerInfo> breakers() {
    List<BreakerInfo> all = new ArrayList<>();
    List<String> queues = agentTypes();
    for (String dep : broker.dependencies()) {
      all.add(breaker(dep, queues));
    }
    return all;
  }

  /**
   * The latest transitions of a dependency's breaker (up to about 1,000 are kept), oldest first.
   *
   * @param dependency the dependency's name
   * @return its transitions, empty when it never changed state
   */
  public List<BreakerTransition> breakerTransitions(String dependency) {
    List<BreakerTransition> out = new ArrayList<>();
    for (Map<String, String> e : broker.streamBodies(broker.keys().breakerEvents(dependency))) {
      try {
        out.add(new BreakerTransition(dependency, BreakerState.fromWire(e.get("from")),
            BreakerState.fromWire(e.get("to")), Long.parseLong(e.get("gen")),
            java.time.Instant.ofEpochMilli(Long.parseLong(e.get("at"))), e.getOrDefault("reason", "")));
      } catch (RuntimeException malformed) {
        // an entry not written by the breaker scripts: not a transition
      }
    }
    return out;
  }

  /**
   * One dependency's breaker; a breaker never written reads as closed.
   *
   * @param dependency the dependency's name
   * @return its state, window figures and parked tasks now
   */
  public BreakerInfo breaker(String dependency) {
    return breaker(dependency, agentTypes());
  }

  private BreakerInfo breaker(String dep, List<String> queues) {
    Keys k = broker.keys();
    List<Object> r = broker.runSync(Script.BREAKER_STATE,
        new String[] {k.breaker(dep), k.breakerProbes(dep), k.breakerWindow(dep)});
    long calls = (Long) r.get(4);
    long parked = 0;
    for (String q : queues) {
      parked += broker.parkedCount(q, dep);
    }
    return new BreakerInfo(dep, BreakerState.fromWire((String) r.get(0)), (Long) r.get(1),
        java.time.Instant.ofEpochMilli((Long) r.get(2)), java.time.Duration.ofMillis((Long) r.get(3)), calls,
        calls == 0 ? 0 : (Long) r.get(5) * 100.0 / calls, calls == 0 ? 0 : (Long) r.get(6) * 100.0 / calls,
        (Long) r.get(7), (Long) r.get(8), parked);
  }

  /**
   * Stats of every agent type, as {@link #stats(String)}.
   *
   * @return one entry per agent type, sorted by agent type
   */
  public List<QueueStats> stats() {
    List<QueueStats> all = new ArrayList<>();
    for (String q : agentTypes()) {
      all.add(stats(q));
    }
    return all;
  }

  /**
   * One page of an agent type's dead letters, oldest first.
   *
   * @param agentType the agent type
   * @param offset how many of the oldest to skip
   * @param limit the most to return
   * @return the dead letters' records
   */
  public List<TaskInfo> deadLetters(String agentType, int offset, int limit) {
    List<TaskInfo> out = new ArrayList<>();
    for (String id : broker.deadIds(agentType, offset, limit)) {
      task(agentType, id).ifPresent(out::add);
    }
    return out;
  }

  /**
   * How many dead letters an agent type holds.
   *
   * @param agentType the agent type
   * @return the size of its dead-letter queue
   */
  public long deadLetterCount(String agentType) {
    return broker.deadCount(agentType);
  }

  /**
   * Puts a dead letter back on its queue with a fresh attempt budget; its history is kept.
   *
   * @param agentType the agent type whose dead-letter queue holds it
   * @param id the task id
   * @return false when the task is not dead (its state is unchanged)
   * @throws TaskNotFoundException when no such task exists
   * @throws BatonException when it is a tombstone of an unreadable entry, which cannot run
   */
  public boolean replay(String agentType, String id) {
    long code = replayCode(agentType, id);
    if (code == -2) {
      throw new TaskNotFoundException(id);
    }
    if (code == -3) {
      throw new BatonException("task " + id + " is a tombstone of an unreadable stream entry and cannot run; purge it");
    }
    return code == 1;
  }

  private long replayCode(String agentType, String id) {
    Keys k = broker.keys();
    List<Object> r = broker.runSync(Script.REPLAY,
        new String[] {k.task(agentType, id), k.stream(agentType), k.dead(agentType), k.stats(agentType)},
        Keys.GROUP, id);
    return (Long) r.get(0);
  }

  /**
   * Replays every dead letter of an agent type, oldest first, as {@link #replay} does one by one.
   * Dead letters that cannot run (tombstones of unreadable entries) and ones purged or replayed by
   * someone else meanwhile are skipped; they are not counted.
   *
   * @param agentType the agent type
   * @return how many were replayed
   * @throws PartialReplayException when a failure (Redis unreachable or not answering, a refused
   *     permission) stopped the replay part-way: it says how many were replayed before it stopped
   *     and how many were not looked at, and its cause says why. Those replayed stay replayed;
   *     calling again replays the rest.
   * @throws RedisUnavailableException when Redis cannot be reached to list the dead letters
   */
  public int replayAll(String agentType) {
    List<String> ids = broker.deadIds(agentType, 0, Long.MAX_VALUE - 1);
    int n = 0;
    for (int i = 0; i < ids.size(); i++) {
      long code;
      try {
        code = replayCode(agentType, ids.get(i));
      } catch (BatonException e) {
        throw new PartialReplayException(agentType, n, ids.size() - i, e);
      }
      if (code == 1) {
        n++;
      }
      // -2 purged meanwhile, -3 a tombstone that cannot run, 0 no longer dead: skipped
    }
    return n;
  }

  /**
   * Deletes one dead letter: its record and its place in the dead-letter queue.
   *
   * @param agentType the agent type whose dead-letter queue holds it
   * @param id the task id
   * @return false if the task is not in the dead-letter queue (nothing deleted)
   */
  public boolean purge(String agentType, String id) {
    Keys k = broker.keys();
    long n = broker.<Long>runSync(Script.PURGE, new String[] {k.dead(agentType), k.task(agentType, id)}, id);
    return n == 1;
  }

  /**
   * Deletes every dead letter of an agent type, 500 per call.
   *
   * @param agentType the agent type
   * @return how many were deleted
   */
  public int purgeAll(String agentType) {
    int n = 0;
    List<String> ids;
    while (!(ids = broker.deadIds(agentType, 0, 500)).isEmpty()) {
      Keys k = broker.keys();
      List<String> keys = new ArrayList<>(List.of(k.dead(agentType)));
      ids.forEach(id -> keys.add(k.task(agentType, id)));
      n += broker.<Long>runSync(Script.PURGE, keys.toArray(String[]::new), ids.toArray(String[]::new)).intValue();
    }
    return n;
  }

  /**
   * Names of the rate and concurrency limits registered by any process.
   *
   * @return the names, sorted
   */
  public List<String> limitNames() {
    return broker.limitNames();
  }

  /**
   * How full every registered limit is: one entry per limit and key in use (rate-limit keys used
   * within the last interval, concurrency keys with a lease not yet run out; at most 1,000 keys per
   * limit), with the budget or permit count the limit was last registered with. Rate entries first,
   * then concurrency, per limit name in sorted order.
   *
   * @return the usage of every limit key in use
   */
  public List<LimitUsage> limitUsage() {
    List<LimitUsage> out = new ArrayList<>();
    Keys k = broker.keys();
    for (String name : broker.limitNames()) {
      Map<String, String> conf = broker.hgetall(k.limitConfig(name));
      String budget = conf.get("rate.budget");
      String interval = conf.get("rate.interval-ms");
      if (budget != null && interval != null) {
        List<String> keys = broker.zrange(k.rateKeys(name), RedisRateLimiter.MAX_USAGE_KEYS);
        if (!keys.isEmpty()) {
          out.addAll(RedisRateLimiter.usageOf(broker, name, Long.parseLong(budget),
              java.time.Duration.ofMillis(Long.parseLong(interval)), keys, ""));
        }
      }
      String permits = conf.get("permits.max");
      if (permits != null) {
        List<String> keys = broker.zrange(k.permitKeys(name), RedisRateLimiter.MAX_USAGE_KEYS);
        if (!keys.isEmpty()) {
          out.addAll(RedisConcurrencyLimiter.usageOf(broker, name, Long.parseLong(permits), keys, ""));
        }
      }
    }
    return out;
  }
}
