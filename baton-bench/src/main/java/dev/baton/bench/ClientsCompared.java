package dev.baton.bench;

import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The Redis client options for the worker's hot path, compared on the same work (see {@link
 * HotPathClient}): batches of {@value #BATCH} tasks, each batch one {@code EVALSHA} of a script that
 * reads one hash field per key ({@value #BATCH} keys, {@value #BATCH} arguments, {@value #BATCH}
 * values back) and then one {@code HSET} per task. Opt-in ({@code --scenarios clients}): it measures
 * the client libraries, not Baton, and the default run stays about Baton.
 */
final class ClientsCompared implements Scenario {
  static final String NAME = "clients";
  static final int BATCH = 100;
  /** Distinct hashes the batches cycle through, so the data stays small and in cache. */
  private static final int KEYS = 1_000;
  private static final String SCRIPT =
      "local out = {} for i = 1, #KEYS do out[i] = redis.call('HGET', KEYS[i], ARGV[i]) end return out";

  /** A row: its option name, its label, how to connect. */
  record Option(String name, String label, Function<BenchContext, HotPathClient> client) {}

  static final List<Option> OPTIONS = List.of(
      new Option("lettuce-async", "lettuce-async: Lettuce async, auto-flush, a future per command (Baton today)",
          c -> new LettuceAsyncHotPath(c.redis, false)),
      new Option("lettuce-flush", "lettuce-flush: Lettuce async, manual flush per group of commands",
          c -> new LettuceAsyncHotPath(c.redis, true)),
      new Option("lettuce-dispatch", "lettuce-dispatch: Lettuce, auto-flush on, each group dispatched as one list",
          c -> new LettuceDispatchHotPath(c.redis)),
      new Option("jedis-virtual-threads", "jedis-virtual-threads: Jedis blocking, pooled, an HSET per virtual thread",
          c -> new JedisVirtualThreadsHotPath(c.redisUri, BATCH)),
      new Option("jedis-pipelined", "jedis-pipelined: Jedis, one connection, a pipeline per group of commands",
          c -> new JedisPipelinedHotPath(c.redisUri)));

  @Override
  public void run(BenchContext ctx) throws Exception {
    String prefix = ctx.freshPrefix();
    try {
      List<List<String>> keyWindows = seed(ctx.redis.sync(), prefix);
      String sha = ctx.redis.sync().scriptLoad(SCRIPT);
      for (Option o : OPTIONS) {
        measure(ctx, o, sha, keyWindows);
      }
    } finally {
      ctx.cleanup(prefix);
    }
  }

  /** Writes the hashes (field {@code v}: a 100-byte payload); returns the key list of each batch. */
  private static List<List<String>> seed(RedisCommands<String, String> redis, String prefix) {
    List<String> keys = new ArrayList<>(KEYS);
    for (int i = 0; i < KEYS; i++) {
      String key = prefix + ":h:" + i;
      redis.hset(key, "v", BenchContext.payload(i));
      keys.add(key);
    }
    List<List<String>> windows = new ArrayList<>();
    for (int i = 0; i < KEYS; i += BATCH) {
      windows.add(List.copyOf(keys.subList(i, i + BATCH)));
    }
    return windows;
  }

  private static void measure(BenchContext ctx, Option o, String sha, List<List<String>> keyWindows)
      throws Exception {
    int n = (ctx.settings.clientsTasks() + BATCH - 1) / BATCH * BATCH; // whole batches
    List<String> fields = Collections.nCopies(BATCH, "v");
    try (HotPathClient client = o.client().apply(ctx)) {
      int warmup = Math.max(1_000, n / 10);
      batches(client, sha, keyWindows, fields, warmup, ctx.progress.step(o.name() + ": warm-up", warmup));
      AtomicLong progress = ctx.progress.step(String.format(Locale.ROOT, "clients: %s, %,d tasks", o.name(), n), n);
      CostMeter.Window window = ctx.cost.start();
      long t0 = System.nanoTime();
      batches(client, sha, keyWindows, fields, n, progress);
      long t1 = System.nanoTime();
      CostMeter.Cost cost = window.stop(n);
      Row row = new Row(NAME, o.label()).put("client", o.name());
      Throughput.put(row, n, t1 - t0);
      cost.putInto(row.metrics());
      ctx.report.add(row);
    }
  }

  private static void batches(HotPathClient client, String sha, List<List<String>> keyWindows, List<String> fields,
      int tasks, AtomicLong progress) throws Exception {
    for (int done = 0, b = 0; done < tasks; done += BATCH, b++) {
      int values = client.batch(sha, keyWindows.get(b % keyWindows.size()), fields);
      if (values != BATCH) {
        throw new IllegalStateException("the script returned " + values + " values for " + BATCH + " keys");
      }
      progress.set(done + BATCH);
    }
  }
}
