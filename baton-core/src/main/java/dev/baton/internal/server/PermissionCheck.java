package dev.baton.internal.server;

import dev.baton.BatonException;
import dev.baton.RedisConfigurationException;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.InspectionScripts;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Checks, before a worker reads anything, that its Redis user may run every command a worker sends
 * and that its scripts call, on the worker's keys and channels. Without this, a user that may not
 * run {@code EVALSHA} (or {@code HSET} inside a script) starts, reads entries into its pending list
 * that it cannot start, and loops on the error while the tasks wait for another worker's recoverer.
 *
 * <p>With {@code ACL DRYRUN} (Redis 7.0+, when the user may run it) every command is checked against
 * one key of each kind a worker writes, nothing is run, and every refusal is reported at once. When
 * the user may not run {@code ACL WHOAMI}/{@code ACL DRYRUN}, a read-only script is run instead
 * ({@code stats.lua} per queue): that proves {@code EVALSHA} and the reads, not the writes.
 */
public final class PermissionCheck {
  private PermissionCheck() {}

  /** One command to dry-run: the command, then its arguments (keys among them). */
  record Probe(String command, List<String> args) {
    static Probe of(String command, String... args) {
      return new Probe(command, List.of(args));
    }

    String describe() {
      return (command + " " + String.join(" ", args)).strip();
    }
  }

  /**
   * Verifies the permissions for a worker of {@code queues} that calls {@code dependencies}.
   *
   * @throws RedisConfigurationException naming every refused command and key
   * @throws dev.baton.RedisUnavailableException when Redis cannot be reached
   */
  public static void verify(RedisBroker broker, List<String> queues, List<String> dependencies) {
    String user;
    try {
      user = broker.await(broker.aclWhoami());
    } catch (BatonException e) {
      // no ACL (a proxy, an old server) or no right to ask: fall back to running a read-only script
      probeByRunning(broker, queues);
      return;
    }
    List<Probe> probes = probes(broker.keys(), queues, dependencies);
    List<CompletableFuture<String>> answers = new ArrayList<>(probes.size());
    for (Probe p : probes) { // pipelined: one round trip for all of them
      answers.add(broker.aclDryRun(user, p.command(), p.args().toArray(String[]::new)));
    }
    List<String> refused = new ArrayList<>();
    for (int i = 0; i < probes.size(); i++) {
      String answer;
      try {
        answer = broker.await(answers.get(i));
      } catch (BatonException e) {
        probeByRunning(broker, queues); // may not run ACL DRYRUN itself
        return;
      }
      if (!"OK".equalsIgnoreCase(answer)) {
        refused.add(probes.get(i).describe() + " (" + answer.strip() + ")");
      }
    }
    if (!refused.isEmpty()) {
      throw new RedisConfigurationException("NOPERM", "the Redis user '" + user + "' may not run what a worker"
          + " needs: " + String.join("; ", refused) + ". Grant it Baton's commands and every key and channel"
          + " under the prefix '" + broker.keys().prefix() + ":'", null);
    }
  }

  private static void probeByRunning(RedisBroker broker, List<String> queues) {
    InspectionScripts inspection = new InspectionScripts(broker);
    for (String q : queues) {
      inspection.stats(q); // a NOPERM here is a RedisConfigurationException, raised by the broker
    }
  }

  /**
   * One dry-run per command and key kind a worker touches; a test checks that every command the
   * scripts call is among them.
   */
  static List<Probe> probes(Keys k, List<String> queues, List<String> dependencies) {
    Set<Probe> out = new LinkedHashSet<>();
    String group = Keys.GROUP;
    String sha = "0000000000000000000000000000000000000000";
    out.add(Probe.of("SCRIPT", "LOAD", "return 1"));
    out.add(Probe.of("CLIENT", "ID"));
    out.add(Probe.of("CLIENT", "UNBLOCK", "1", "TIMEOUT"));
    out.add(Probe.of("PING"));
    out.add(Probe.of("TIME"));
    out.add(Probe.of("SADD", k.queues(), "q"));
    out.add(Probe.of("SADD", k.dependencies(), "d"));
    out.add(Probe.of("SET", k.epoch(), "e", "NX"));
    out.add(Probe.of("GET", k.epoch()));
    for (String q : queues) {
      String stream = k.stream(q);
      String task = k.task(q, "permission-check");
      out.add(Probe.of("EVALSHA", sha, "2", stream, task));
      out.add(Probe.of("XGROUP", "CREATE", stream, group, "0", "MKSTREAM"));
      out.add(Probe.of("XGROUP", "DELCONSUMER", stream, group, "c"));
      out.add(Probe.of("XREADGROUP", "GROUP", group, "c", "COUNT", "1", "STREAMS", stream, ">"));
      out.add(Probe.of("XADD", stream, "*", "t", "x"));
      out.add(Probe.of("XACK", stream, group, "0-1"));
      out.add(Probe.of("XDEL", stream, "0-1"));
      out.add(Probe.of("XPENDING", stream, group));
      out.add(Probe.of("XCLAIM", stream, group, "c", "0", "0-1", "JUSTID"));
      out.add(Probe.of("XRANGE", stream, "-", "+"));
      out.add(Probe.of("XLEN", stream));
      out.add(Probe.of("XINFO", "GROUPS", stream));
      out.add(Probe.of("SCAN", "0", "MATCH", k.taskPattern(q)));
      out.add(Probe.of("HSCAN", k.indexBucket(q, 0), "0"));
      for (String hash : List.of(task, k.stats(q), k.parking(q))) {
        out.add(Probe.of("HSET", hash, "f", "v"));
        out.add(Probe.of("HINCRBY", hash, "f", "1"));
      }
      out.add(Probe.of("HMGET", task, "f"));
      out.add(Probe.of("HGET", task, "f"));
      out.add(Probe.of("HDEL", task, "f"));
      out.add(Probe.of("HGETALL", task));
      out.add(Probe.of("PEXPIRE", task, "1"));
      out.add(Probe.of("PERSIST", task));
      out.add(Probe.of("EXISTS", task));
      out.add(Probe.of("DEL", task));
      out.add(Probe.of("TYPE", task));
      for (String zset : List.of(k.delayed(q), k.dead(q), k.parked(q))) {
        out.add(Probe.of("ZADD", zset, "1", "m"));
        out.add(Probe.of("ZREM", zset, "m"));
        out.add(Probe.of("ZRANGEBYSCORE", zset, "0", "1"));
      }
      out.add(Probe.of("ZRANGE", k.dead(q), "0", "1"));
      out.add(Probe.of("ZSCORE", k.delayed(q), "m"));
      out.add(Probe.of("ZCARD", k.dead(q)));
      out.add(Probe.of("ZCOUNT", k.delayed(q), "0", "1"));
      out.add(Probe.of("ZREMRANGEBYSCORE", k.delayed(q), "0", "1"));
      String dedup = k.dedup(q, "permission-check");
      out.add(Probe.of("SET", dedup, "v"));
      out.add(Probe.of("GET", dedup));
      out.add(Probe.of("PUBLISH", k.finishedChannel(q), "m"));
    }
    for (String d : dependencies) {
      out.add(Probe.of("HSET", k.breaker(d), "f", "v"));
      out.add(Probe.of("HMGET", k.breaker(d), "f"));
      out.add(Probe.of("ZADD", k.breakerProbes(d), "1", "m"));
      out.add(Probe.of("ZREMRANGEBYSCORE", k.breakerProbes(d), "0", "1"));
      out.add(Probe.of("RPUSH", k.breakerWindow(d), "o"));
      out.add(Probe.of("LPOP", k.breakerWindow(d)));
      out.add(Probe.of("LLEN", k.breakerWindow(d)));
      out.add(Probe.of("XADD", k.breakerEvents(d), "*", "f", "v"));
      out.add(Probe.of("PUBLISH", k.breakerChannel(d), "m"));
    }
    return List.copyOf(out);
  }
}
