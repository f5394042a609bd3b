package dev.baton.chaos;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One chaos run's parameters. The defaults are the short form that runs in every {@code ./mvnw
 * verify}; each can be overridden with a system property {@code -Dchaos.<name>} (see {@link
 * #fromSystemProperties(String)}), which is how {@code ./run-chaos --long} runs the long form.
 *
 * @param name run name, used for its directory and report section
 * @param fsync {@code appendfsync} policy of the private redis-server
 * @param tasks tasks to enqueue (spread over the first 80 % of the fault window)
 * @param workers worker JVMs
 * @param concurrency handlers per worker
 * @param seconds length of the fault window
 * @param kills {@code kill -9} of a random worker, restarted at once under a new consumer name
 * @param pauses {@code SIGSTOP} of a random worker for lease + 1..3 s, then {@code SIGCONT}
 * @param freezes proxy freeze of a random worker for 2 x lease + 0..1 s
 * @param cuts proxy reset of every connection of a random worker
 * @param redisCrashes {@code kill -9} of redis-server, restarted from its AOF after a pause
 * @param redisDownMaxMs longest pause before Redis is restarted
 * @param seed seeds the fault plan and the task mix; printed so a run can be repeated
 * @param leaseMs handler lease
 * @param recoverMs recoverer interval
 * @param maxDeliveries deliveries without an outcome before a task is dead-lettered as poison
 * @param drainSeconds how long to wait, after the fault window, for every task to be terminal
 * @param layout the Redis layout the producer and every worker run: 1 (docs/data-model.md) or 2
 *     (docs/hot-path-v2.md, selected in each JVM with the transitional {@code -Dbaton.layout=2})
 */
record ChaosSettings(
    String name,
    String fsync,
    int tasks,
    int workers,
    int concurrency,
    int seconds,
    int kills,
    int pauses,
    int freezes,
    int cuts,
    int redisCrashes,
    long redisDownMaxMs,
    long seed,
    long leaseMs,
    long recoverMs,
    int maxDeliveries,
    int drainSeconds,
    int layout) {

  ChaosSettings {
    if (layout != 1 && layout != 2) {
      throw new IllegalArgumentException("chaos.layout: 1 or 2, got " + layout);
    }
  }

  static ChaosSettings fromSystemProperties(String fsync) {
    long seed = Long.getLong("chaos.seed", ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE));
    return new ChaosSettings(
        "chaos-" + fsync,
        fsync,
        Integer.getInteger("chaos.tasks", 5_000),
        Integer.getInteger("chaos.workers", 3),
        Integer.getInteger("chaos.concurrency", 8),
        Integer.getInteger("chaos.seconds", 90),
        Integer.getInteger("chaos.kills", 20),
        Integer.getInteger("chaos.pauses", 3),
        Integer.getInteger("chaos.freezes", 3),
        Integer.getInteger("chaos.cuts", 4),
        Integer.getInteger("chaos.redisCrashes", 2),
        Long.getLong("chaos.redisDownMaxMs", 3_000),
        seed,
        Long.getLong("chaos.leaseMs", 2_000),
        Long.getLong("chaos.recoverMs", 250),
        Integer.getInteger("chaos.maxDeliveries", 5),
        Integer.getInteger("chaos.drainSeconds", 120),
        Integer.getInteger("chaos.layout", 1));
  }

  Map<String, String> display() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("seed", Long.toString(seed));
    m.put("appendfsync", fsync);
    m.put("layout", Integer.toString(layout));
    m.put("tasks", Integer.toString(tasks));
    m.put("workers", Integer.toString(workers));
    m.put("concurrency", Integer.toString(concurrency));
    m.put("window", seconds + "s");
    m.put("lease", leaseMs + "ms");
    m.put("recover interval", recoverMs + "ms");
    m.put("max deliveries", Integer.toString(maxDeliveries));
    m.put("planned faults", kills + " kills, " + pauses + " pauses, " + freezes + " freezes, " + cuts + " cuts, "
        + redisCrashes + " Redis crashes (down <= " + redisDownMaxMs + "ms)");
    return m;
  }
}
