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
