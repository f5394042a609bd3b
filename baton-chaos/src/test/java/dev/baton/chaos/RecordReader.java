package dev.baton.chaos;

import dev.baton.testing.KeyNames;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reads the final task records straight from Redis (pipelined), for the {@link Checker}. */
final class RecordReader {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final int BATCH = 1_000;

  private RecordReader() {}

  static Map<String, TaskRecord> read(String uri, String prefix, String queue, Set<String> ids, int layout) {
    return layout == 2 ? readV2(uri, prefix, queue, ids) : read(uri, prefix, queue, ids);
  }

  static Map<String, TaskRecord> read(String uri, String prefix, String queue, Set<String> ids) {
    KeyNames k = new KeyNames(prefix);
    RedisURI u = RedisURI.create(uri);
    u.setTimeout(Duration.ofSeconds(30));
    RedisClient rc = RedisClient.create(u);
    Map<String, TaskRecord> out = new HashMap<>();
    try (StatefulRedisConnection<String, String> conn = rc.connect()) {
      RedisAsyncCommands<String, String> async = conn.async();
      List<String> all = new ArrayList<>(ids);
      for (int from = 0; from < all.size(); from += BATCH) {
        List<String> chunk = all.subList(from, Math.min(all.size(), from + BATCH));
        List<RedisFuture<Map<String, String>>> futures = new ArrayList<>();
        for (String id : chunk) {
          futures.add(async.hgetall(k.task(queue, id)));
        }
        LettuceFutures.awaitAll(Duration.ofSeconds(60), futures.toArray(new RedisFuture<?>[0]));
        for (int i = 0; i < chunk.size(); i++) {
          Map<String, String> f = futures.get(i).get();
          if (f != null && !f.isEmpty()) {
            out.put(chunk.get(i), toRecord(chunk.get(i), f, conn, k, queue));
          }
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("reading the final task records failed: " + e, e);
    } finally {
      rc.shutdown();
    }
    return out;
  }

  // ---- layout 2 ------------------------------------------------------------------------------

  /**
   * Layout 2 (docs/hot-path-v2.md): per task, pipelined, {@code done:<id>} (succeeded or
   * cancelled), the index value and the record {@code task:<id>} (only tasks that were retried,
   * scheduled, parked or dead have one), mapped onto what the checker expects:
   *
   * <ul>
   *   <li>{@code done} {@code <st>,<finished ms>,<attempt>,<worker>|<result>} (Baton's worker leaves {@code <worker>} empty): terminal ({@code s}
   *       succeeded, {@code c} cancelled), attempts and result from it; its history is the
   *       record's failures, if any, followed by the attempt the finished value names (worker and
   *       attempt as the library wrote them, fenced, so the checker compares them with the
   *       handler's result). Layout 2 keeps no delivery counter for a finished task: the
   *       deliveries are unknown (-1), so the checker's check of the result's delivery against
   *       the record's is skipped; the check that no later delivery started before the stored
   *       execution finished stays;
   *   <li>index {@code x}: dead, from the record ({@code why}, {@code dn}, {@code att}, {@code hist});
   *   <li>index an entry id or {@code q}/{@code i...}: not terminal ({@code running} while the entry
   *       is pending under a worker, else {@code queued}); runnable while its entry is in the stream
   *       (new, pending under a worker whose lease the recoverer watches, or under a reserved
   *       consumer the next cycle claims from);
   *   <li>index {@code d}/{@code k}: the record's state; runnable while in the delayed / parked set;
   *   <li>nothing: no record (the checker counts the task lost).
   * </ul>
   */
  static Map<String, TaskRecord> readV2(String uri, String prefix, String queue, Set<String> ids) {
    KeyNames k = new KeyNames(prefix);
    String stream = k.stream(queue);
    String base = stream.substring(0, stream.length() - "stream".length()); // P:{Q}:
    RedisURI u = RedisURI.create(uri);
    u.setTimeout(Duration.ofSeconds(30));
    RedisClient rc = RedisClient.create(u);
    Map<String, TaskRecord> out = new HashMap<>();
    try (StatefulRedisConnection<String, String> conn = rc.connect()) {
      RedisAsyncCommands<String, String> async = conn.async();
      List<String> all = new ArrayList<>(ids);
      for (int from = 0; from < all.size(); from += BATCH) {
        List<String> chunk = all.subList(from, Math.min(all.size(), from + BATCH));
        List<RedisFuture<String>> done = new ArrayList<>();
        List<RedisFuture<String>> index = new ArrayList<>();
        List<RedisFuture<Map<String, String>>> records = new ArrayList<>();
        for (String id : chunk) {
          done.add(async.get(base + "done:" + id));
          index.add(async.hget(base + "ix:" + ChaosWorker.bucketOf(id), id));
          records.add(async.hgetall(k.task(queue, id)));
        }
        List<RedisFuture<?>> futures = new ArrayList<>(done);
        futures.addAll(index);
        futures.addAll(records);
        LettuceFutures.awaitAll(Duration.ofSeconds(60), futures.toArray(new RedisFuture<?>[0]));
        for (int i = 0; i < chunk.size(); i++) {
          Map<String, String> f = records.get(i).get();
          TaskRecord r = toRecordV2(chunk.get(i), done.get(i).get(), index.get(i).get(), f == null ? Map.of() : f,
              conn, k, queue);
          if (r != null) {
            out.put(chunk.get(i), r);
          }
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("reading the final task states failed: " + e, e);
    } finally {
      rc.shutdown();
    }
    return out;
  }

  private static TaskRecord toRecordV2(String id, String done, String value, Map<String, String> f,
      StatefulRedisConnection<String, String> conn, KeyNames k, String queue) {
    List<TaskRecord.Attempt> hist = history(f.get("hist"));
    if (done != null) {
      int bar = done.indexOf('|');
      String[] head = (bar < 0 ? done : done.substring(0, bar)).split(",", 5); // st, ft, attempt, worker[, run ms]
      String st = switch (head[0]) {
        case "s" -> "succeeded";
        case "c" -> "cancelled";
        default -> "done:" + head[0];
      };
      int attempt = head.length > 2 ? (int) parseLong(head[2]) : -1;
      String worker = head.length > 3 ? head[3] : "";
      long finished = head.length > 1 ? parseLong(head[1]) : -1;
      if (st.equals("succeeded")) {
        hist.add(new TaskRecord.Attempt(attempt, worker, -1, finished, null));
      }
      return new TaskRecord(id, st, -1, attempt, bar < 0 ? null : done.substring(bar + 1), hist, null, false);
    }
    if (value == null) {
      return f.isEmpty() ? null
          : new TaskRecord(id, f.getOrDefault("st", "?") + " (no index value)", parseLong(f.get("dn")),
              (int) parseLong(f.get("att")), null, hist, f.get("why"), false);
    }
    char c = value.isEmpty() ? '?' : value.charAt(0);
    if (c == 'x') {
      return new TaskRecord(id, "dead", parseLong(f.get("dn")), (int) parseLong(f.get("att")), null, hist,
          f.get("why"), false);
    }
    if (c == 'd' || c == 'k') {
      boolean reachable = c == 'd' ? conn.sync().zscore(k.delayed(queue), id) != null
          : conn.sync().zscore(k.parked(queue), id) != null;
      return new TaskRecord(id, f.getOrDefault("st", c == 'd' ? "scheduled" : "parked"), parseLong(f.get("dn")),
          (int) parseLong(f.get("att")), null, hist, null, reachable);
    }
    long deliveries = 1;
    int attempts = 0;
    String eid = value;
    if (c == 'q' || c == 'i') {
      String[] p = value.substring(1).split(",", 5);
      deliveries = parseLong(p[0]);
      attempts = p.length > 1 ? (int) parseLong(p[1]) : -1;
      eid = p.length > 4 ? p[4] : "";
    } else if (c < '0' || c > '9') {
      return new TaskRecord(id, "unknown index value '" + value + "'", -1, -1, null, hist, null, false);
    }
    boolean inStream = !eid.isEmpty() && !conn.sync().xrange(k.stream(queue), Range.create(eid, eid)).isEmpty();
    String state = "queued";
    if (inStream) {
      var pending = conn.sync().xpending(k.stream(queue), KeyNames.GROUP, Range.create(eid, eid),
          io.lettuce.core.Limit.from(1));
      if (!pending.isEmpty()) {
        String owner = pending.get(0).getConsumer();
        state = owner.startsWith("~") ? "queued (" + owner + ")" : "running (" + owner + ")";
      }
    }
    return new TaskRecord(id, state, deliveries, attempts, null, hist, null, inStream);
  }

  private static List<TaskRecord.Attempt> history(String h) {
    List<TaskRecord.Attempt> hist = new ArrayList<>();
    if (h != null) {
      for (JsonNode n : JSON.readTree(h)) {
        hist.add(new TaskRecord.Attempt(n.path("a").asInt(), n.path("w").asString(), n.path("s").asLong(),
            n.path("f").asLong(), n.hasNonNull("c") ? n.path("c").asString() : null));
      }
    }
    return hist;
  }

  private static TaskRecord toRecord(String id, Map<String, String> f, StatefulRedisConnection<String, String> conn,
      KeyNames k, String queue) {
    String st = f.getOrDefault("st", "?");
    boolean terminal = st.equals("succeeded") || st.equals("dead") || st.equals("cancelled");
    boolean reachable = false;
    if (!terminal) {
      String eid = f.get("eid");
      boolean inStream = eid != null && !conn.sync().xrange(k.stream(queue), Range.create(eid, eid)).isEmpty();
      boolean delayed = conn.sync().zscore(k.delayed(queue), id) != null;
      reachable = inStream || delayed;
    }
    List<TaskRecord.Attempt> hist = new ArrayList<>();
    String h = f.get("hist");
    if (h != null) {
      for (JsonNode n : JSON.readTree(h)) {
        hist.add(new TaskRecord.Attempt(n.path("a").asInt(), n.path("w").asString(), n.path("s").asLong(),
            n.path("f").asLong(), n.hasNonNull("c") ? n.path("c").asString() : null));
      }
    }
    return new TaskRecord(id, st, parseLong(f.get("dlv")), (int) parseLong(f.get("att")), f.get("r"), hist,
        f.get("why"), reachable);
  }

  private static long parseLong(String s) {
    try {
      return s == null ? -1 : Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
