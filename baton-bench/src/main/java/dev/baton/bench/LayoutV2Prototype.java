package dev.baton.bench;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the v2 layout of {@code docs/hot-path-v2.md} costs Redis, before the worker runs on it:
 * prototype scripts ({@code v2/enqueue.lua}, {@code v2/complete.lua}) enqueue N tasks, 100 per
 * call, then a plain {@code XREADGROUP COUNT 100} reads them and the complete prototype records
 * each read batch as successes. Rows: Redis CPU, commands and the Lua share per task for enqueue
 * and for read + complete, and Redis memory per waiting task and per finished task (the finished
 * value holds a 100-byte result). Replaced by the real scripts' rows once they exist.
 */
final class LayoutV2Prototype implements Scenario {
  static final String NAME = "layout-v2";
  private static final String AGENT_TYPE = "layout";
  private static final int BATCH = 100;
  private static final String GROUP = "baton";
  private static final String RETENTION_MS = "604800000";
  private static final String RESULT = BenchContext.payload(0);

  @Override
  public void run(BenchContext ctx) throws Exception {
    int n = ctx.settings.memoryTasks();
    String prefix = ctx.freshPrefix();
    String q = prefix + ":{" + AGENT_TYPE + "}:";
    try (StatefulRedisConnection<String, String> conn = ctx.redis.connect()) {
      RedisCommands<String, String> r = conn.sync();
      String enqueue = r.scriptLoad(resource("v2/enqueue.lua"));
      String complete = r.scriptLoad(resource("v2/complete.lua"));
      enqueue(r, enqueue, q, -1, 1); // stream, group and stats exist before the windows
      read(r, q, 1);
      Thread.sleep(200);

      long before = ctx.probe.usedMemory();
      AtomicLong progress = ctx.progress.step(String.format(Locale.ROOT, "layout-v2: enqueue, %,d tasks", n), n);
      CostMeter.Window window = ctx.cost.start();
      for (int i = 0; i < n; i += BATCH) {
        enqueue(r, enqueue, q, i, Math.min(BATCH, n - i));
        progress.set(Math.min(n, i + BATCH));
      }
      CostMeter.Cost cost = window.stop(n);
      Thread.sleep(200); // lets the server shrink the query buffer of the last batch
      long waiting = ctx.probe.usedMemory();
      Row row = HotPathScripts.row("v2 prototype: enqueue, 100 tasks per call", n, cost);
      row.put("bytesPerWaitingTask", Report.round((waiting - before) / (double) n, 1));
      ctx.report.add(relabel(row));

      progress = ctx.progress.step(String.format(Locale.ROOT, "layout-v2: read + complete, %,d tasks", n), n);
      window = ctx.cost.start();
      long done = 0;
      while (done < n) {
        List<StreamMessage<String, String>> batch = read(r, q, BATCH);
        if (batch.isEmpty()) {
          throw new IllegalStateException("layout-v2: only " + done + " of " + n + " tasks were read");
        }
        complete(r, complete, q, batch);
        done += batch.size();
        progress.set(done);
      }
      cost = window.stop(n);
      Thread.sleep(200);
      long finished = ctx.probe.usedMemory();
      row = HotPathScripts.row("v2 prototype: XREADGROUP COUNT 100 + complete, 100 per call", n, cost);
      row.put("bytesPerFinishedTask", Report.round((finished - before) / (double) n, 1));
      ctx.report.add(relabel(row));
    } finally {
      ctx.cleanup(prefix);
    }
  }

  private static Row relabel(Row row) {
    Row out = new Row(NAME, row.label());
    out.metrics().putAll(row.metrics());
    return out;
  }

  private static void enqueue(RedisCommands<String, String> r, String sha, String q, long from, int count) {
    List<String> keys = new ArrayList<>(2 + 2 * count);
    List<String> args = new ArrayList<>(1 + 2 * count);
    keys.add(q + "stream");
    keys.add(q + "stats");
    args.add(GROUP);
    for (long j = from; j < from + count; j++) {
      String id = "m-" + j;
      keys.add(q + "ix:" + bucket(id));
      keys.add(q + "done:" + id);
      args.add(id);
      args.add(BenchContext.payload(j));
    }
    List<Long> codes = r.evalsha(sha, ScriptOutputType.MULTI, keys.toArray(String[]::new), args.toArray(String[]::new));
    if (codes.contains(0L)) {
      throw new IllegalStateException("layout-v2: an id was refused as existing: " + codes);
    }
  }

  @SuppressWarnings("unchecked") // XREADGROUP's varargs of generic stream offsets
  private static List<StreamMessage<String, String>> read(RedisCommands<String, String> r, String q, int count) {
    return r.xreadgroup(io.lettuce.core.Consumer.from(GROUP, "prototype"), XReadArgs.Builder.count(count),
        XReadArgs.StreamOffset.lastConsumed(q + "stream"));
  }

  private static void complete(RedisCommands<String, String> r, String sha, String q,
      List<StreamMessage<String, String>> batch) {
    List<String> keys = new ArrayList<>(2 + 2 * batch.size());
    List<String> args = new ArrayList<>(2 + 3 * batch.size());
    keys.add(q + "stream");
    keys.add(q + "stats");
    args.add(GROUP);
    args.add(RETENTION_MS);
    for (StreamMessage<String, String> e : batch) {
      String id = e.getBody().get("t");
      keys.add(q + "ix:" + bucket(id));
      keys.add(q + "done:" + id);
      args.add(id);
      args.add(e.getId());
      args.add("s," + System.currentTimeMillis() + ",1,bench-prototype|" + RESULT);
    }
    List<Long> codes = r.evalsha(sha, ScriptOutputType.MULTI, keys.toArray(String[]::new), args.toArray(String[]::new));
    if (codes.contains(-1L)) {
      throw new IllegalStateException("layout-v2: a success was fenced off: " + codes);
    }
  }

  /** The index bucket of a task id: the first 3 hex digits of SHA-1(id), 4,096 buckets. */
  static String bucket(String id) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-1").digest(id.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 2).substring(0, 3);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JDK", e);
    }
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = LayoutV2Prototype.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
