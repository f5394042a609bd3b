package dev.baton;

import dev.baton.resilience.BreakerInfo;
import dev.baton.resilience.BreakerTransition;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.LimitUsage;
import dev.baton.resilience.RateLimiter;
import dev.baton.internal.broker.Layout;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.limits.RedisConcurrencyLimiter;
import dev.baton.internal.limits.RedisRateLimiter;
import dev.baton.internal.codec.WireFormat;
import dev.baton.internal.scripts.BreakerScripts;
import dev.baton.internal.scripts.ClientV2Scripts;
import dev.baton.internal.scripts.DeadLetterScripts;
import dev.baton.internal.scripts.DeadLetterV2Scripts;
import dev.baton.internal.scripts.InspectionScripts;
import dev.baton.internal.scripts.LimitScripts;
import dev.baton.internal.scripts.Registry;
import dev.baton.internal.scripts.SchedulingScripts;
import dev.baton.internal.scripts.ScriptStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private static final Logger log = LoggerFactory.getLogger(Inspector.class);
  private final InspectionScripts inspection;
  private final Registry registry;
  private final DeadLetterScripts deadLetters;
  private final DeadLetterV2Scripts deadLettersV2;
  private final BreakerScripts breakerScripts;
  private final SchedulingScripts scheduling;
  private final LimitScripts limits;
  /** Layout 2's read side when this process runs it ({@link Layout}), else null. */
  private final ClientV2Scripts v2;

  Inspector(RedisBroker broker) {
    this.v2 = Layout.v2() ? new ClientV2Scripts(broker) : null;
    this.inspection = new InspectionScripts(broker);
    this.registry = new Registry(broker);
    this.deadLetters = new DeadLetterScripts(broker);
    this.deadLettersV2 = new DeadLetterV2Scripts(broker);
    this.breakerScripts = new BreakerScripts(broker);
    this.scheduling = new SchedulingScripts(broker);
    this.limits = new LimitScripts(broker);
  }

  /**
   * Agent types that ever had a task enqueued or a worker.
   *
   * @return the agent types, sorted
   */
  public List<String> agentTypes() {
    return registry.queues();
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
    if (v2 != null) {
      try {
        return v2.task(agentType, id).map(ClientV2Scripts.Found::info);
      } catch (IllegalArgumentException e) {
        throw new BatonException("task " + id + " has a malformed record: " + e.getMessage(), e);
      }
    }
    Map<String, String> fields = inspection.taskRecord(agentType, id);
    if (fields.isEmpty()) {
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
    List<String> holders = v2 != null ? v2.queuesHolding(id, registry.queues())
        : inspection.queuesHolding(id, registry.queues());
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
   * @throws BatonException when the queue's keys cannot be read (a counter that is not an integer, a
   *     key of the wrong type); the message names the agent type
   */
  public QueueStats stats(String agentType) {
    try {
      return v2 != null ? v2.stats(agentType) : inspection.stats(agentType);
    } catch (RedisUnavailableException | RedisConfigurationException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BatonException("stats of agent type '" + agentType + "' cannot be read: " + describe(e), e);
    }
  }

  private static String describe(Throwable e) {
    if (e instanceof NumberFormatException) {
      // "For input string: "abc"" says nothing of where
      return "a counter is not an integer (" + e.getMessage() + ")";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }


  /**
   * Every dependency a worker registered, with its breaker's state.
   *
   * @return the breakers, sorted by dependency name
   */
  public List<BreakerInfo> breakers() {
    List<BreakerInfo> all = new ArrayList<>();
    List<String> queues = agentTypes();
    for (String dep : breakerScripts.dependencies()) {
      try {
        all.add(breaker(dep, queues));
      } catch (RedisUnavailableException | RedisConfigurationException e) {
        throw e;
      } catch (BatonException e) {
        String why = describe(e.getCause() == null ? e : e.getCause());
        log.warn("breaker of dependency {} (key {}) cannot be read: {}; listed flagged", dep,
            breakerScripts.breakerKey(dep), why);
        all.add(new BreakerInfo(dep, dev.baton.resilience.BreakerState.CLOSED, 0, java.time.Instant.EPOCH,
            java.time.Duration.ZERO, 0, 0, 0, 0, 0, 0, why));
      }
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
    return breakerScripts.transitions(dependency);
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
    BreakerScripts.Snapshot s = breakerScripts.state(dep);
    long calls = s.calls();
    long parked = 0;
    for (String q : queues) {
      parked += scheduling.parkedCount(q, dep);
    }
    if (s.malformed() != null) {
      log.warn("breaker of dependency {} (key {}) is malformed: {}; listed flagged, the next call through it "
          + "resets it to closed", dep, breakerScripts.breakerKey(dep), s.malformed());
    }
    return new BreakerInfo(dep, s.state(), s.gen(), java.time.Instant.ofEpochMilli(s.sinceMillis()),
        java.time.Duration.ofMillis(s.openRemainingMillis()), calls,
        calls == 0 ? 0 : s.failures() * 100.0 / calls, calls == 0 ? 0 : s.slowCalls() * 100.0 / calls,
        s.probesInFlight(), s.probeSuccesses(), parked, s.malformed());
  }

  /**
   * Stats of every agent type, as {@link #stats(String)}. An agent type whose keys cannot be read is
   * listed flagged ({@link QueueStats#malformed()} says why) instead of failing the whole list.
   *
   * @return one entry per agent type, sorted by agent type
   */
  public List<QueueStats> stats() {
    List<QueueStats> all = new ArrayList<>();
    for (String q : agentTypes()) {
      try {
        all.add(stats(q));
      } catch (RedisUnavailableException | RedisConfigurationException e) {
        throw e;
      } catch (BatonException e) {
        all.add(QueueStats.malformed(q, describe(e.getCause() == null ? e : e.getCause())));
      }
    }
    return all;
  }

  /**
   * One page of an agent type's dead letters, oldest first. A record that cannot be read (a missing
   * or unknown state, a key that is not a hash) is listed flagged, as {@link
   * TaskInfo#malformed(String, String, TaskState, String, String)}, instead of failing the page; a
   * member whose record no longer exists is left out.
   *
   * @param agentType the agent type
   * @param offset how many of the oldest to skip
   * @param limit the most to return
   * @return the dead letters' records
   */
  public List<TaskInfo> deadLetters(String agentType, int offset, int limit) {
    List<TaskInfo> out = new ArrayList<>();
    for (String id : deadLetters.deadIds(agentType, offset, limit)) {
      Map<String, String> fields;
      try {
        fields = inspection.taskRecord(agentType, id);
      } catch (RedisUnavailableException | RedisConfigurationException e) {
        throw e;
      } catch (BatonException e) {
        out.add(TaskInfo.malformed(id, agentType, TaskState.DEAD, null, "record cannot be read: " + describe(e)));
        continue;
      }
      if (fields.isEmpty()) {
        continue;
      }
      try {
        out.add(v2 != null ? WireFormat.toTaskInfoV2(agentType, fields) : WireFormat.toTaskInfo(fields));
      } catch (RuntimeException e) {
        out.add(TaskInfo.malformed(id, agentType, TaskState.DEAD, fields.get("why"), "malformed record: " + describe(e)));
      }
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
    return deadLetters.deadCount(agentType);
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
    return v2 != null ? deadLettersV2.replay(agentType, id) : deadLetters.replay(agentType, id);
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
    List<String> ids = deadLetters.deadIds(agentType, 0, Long.MAX_VALUE - 1);
    int n = 0;
    for (int i = 0; i < ids.size(); i++) {
      ScriptStatus status;
      try {
        status = v2 != null ? deadLettersV2.replayStatus(agentType, ids.get(i))
            : deadLetters.replayStatus(agentType, ids.get(i));
      } catch (BatonException e) {
        throw new PartialReplayException(agentType, n, ids.size() - i, e);
      }
      if (status == ScriptStatus.OK) {
        n++;
      }
      // NOT_FOUND purged meanwhile, TOMBSTONE cannot run, WRONG_STATE no longer dead: skipped
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
    return purge(agentType, List.of(id)) == 1;
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
    while (!(ids = deadLetters.deadIds(agentType, 0, 500)).isEmpty()) {
      n += (int) purge(agentType, ids);
    }
    return n;
  }

  private long purge(String agentType, List<String> ids) {
    return v2 != null ? deadLettersV2.purge(agentType, ids) : deadLetters.purge(agentType, ids);
  }

  /**
   * Names of the rate and concurrency limits registered by any process.
   *
   * @return the names, sorted
   */
  public List<String> limitNames() {
    return limits.names();
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
    for (String name : limits.names()) {
      Map<String, String> conf = Map.of();
      try {
        conf = limits.settings(name);
        out.addAll(limitUsage(name, conf));
      } catch (RedisUnavailableException | RedisConfigurationException e) {
        throw e;
      } catch (RuntimeException e) {
        String why = describe(e.getCause() == null ? e : e.getCause());
        log.warn("limit {} (config key {}) cannot be read: {}; listed flagged", name, limits.configKey(name), why);
        LimitUsage.Kind kind = conf.containsKey("permits.max") && !conf.containsKey("rate.budget")
            ? LimitUsage.Kind.CONCURRENCY : LimitUsage.Kind.RATE;
        out.add(LimitUsage.malformed(name, kind, java.time.Instant.now(), why));
      }
    }
    return out;
  }

  /** The usage of one limit's keys in use, as its config hash describes the limit. */
  private List<LimitUsage> limitUsage(String name, Map<String, String> conf) {
    List<LimitUsage> out = new ArrayList<>();
    if (conf.containsKey("rate.budget") && conf.containsKey("rate.interval-ms")) {
      long budget = setting(conf, "rate.budget");
      long interval = setting(conf, "rate.interval-ms");
      List<String> keys = limits.rateKeysInUse(name, RedisRateLimiter.MAX_USAGE_KEYS);
      if (!keys.isEmpty()) {
        out.addAll(RedisRateLimiter.usageOf(limits, name, budget, java.time.Duration.ofMillis(interval), keys, null));
      }
    }
    if (conf.containsKey("permits.max")) {
      long permits = setting(conf, "permits.max");
      List<String> keys = limits.permitKeysInUse(name, RedisRateLimiter.MAX_USAGE_KEYS);
      if (!keys.isEmpty()) {
        out.addAll(RedisConcurrencyLimiter.usageOf(limits, name, permits, keys, null));
      }
    }
    return out;
  }

  /** A positive integer setting of a limit's config hash. */
  private static long setting(Map<String, String> conf, String field) {
    String v = conf.get(field);
    try {
      long n = Long.parseLong(v);
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("setting " + field + " is not a positive integer: '" + v + "'");
  }
}
