package dev.baton.bench;

import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The raw limit: the least any Redis Streams queue must do per task. A producer connection
 * pipelines XADD (the task id and the 100-byte payload), at most 1,000 unanswered; a consumer
 * connection loops XREADGROUP COUNT 100 and acknowledges each batch, the acknowledgement pipelined
 * with the next read (see {@link RawClient}). Time runs from the first XADD to the last
 * acknowledgement's reply. No Lua, no task record, no outcome: every Baton figure is compared with
 * these rows.
 *
 * <p>One row per client style, each acknowledging with XACK, and again with XACK + XDEL (which a
 * queue that keeps its stream short must also pay): {@value #NAME}, Lettuce as Baton uses it and
 * the reference of {@code vsRaw}; Lettuce with manual flushing; Jedis pipelined, the fastest, whose
 * XDEL row ({@value #JEDIS_XDEL}) is the reference of {@code vsRawJedisXdel}.
 */
final class RawCycle implements Scenario {
  static final String NAME = "raw";
  static final String JEDIS_XDEL = "raw-jedis-xdel";

  /** A row of this scenario: its cycle name, its label, how to connect, whether it deletes. */
  record Variant(String cycle, String label, Function<BenchContext, RawClient> client, boolean xdel) {}

  static final List<Variant> VARIANTS = List.of(
      new Variant(NAME, "raw: Lettuce async, auto-flush (Baton's client); XACK", c -> new LettuceRawClient(c.redis),
          false),
      new Variant("raw-xdel", "raw-xdel: Lettuce async, auto-flush; XACK + XDEL", c -> new LettuceRawClient(c.redis),
          true),
      new Variant("raw-lettuce-flush", "raw-lettuce-flush: Lettuce, manual flush per batch; XACK",
          c -> new LettuceFlushRawClient(c.redis), false),
      new Variant("raw-lettuce-flush-xdel", "raw-lettuce-flush-xdel: Lettuce, manual flush; XACK + XDEL",
          c -> new LettuceFlushRawClient(c.redis), true),
      new Variant("raw-jedis", "raw-jedis: Jedis pipelined; XACK", c -> new JedisRawClient(c.redisUri), false),
      new Variant(JEDIS_XDEL, "raw-jedis-xdel: Jedis pipelined; XACK + XDEL", c -> new JedisRawClient(c.redisUri),
          true));

  @Override
  public void run(BenchContext ctx) throws Exception {
    for (Variant v : VARIANTS) {
      measure(ctx, v);
    }
  }

  private static void measure(BenchContext ctx, Variant v) throws Exception {
    int n = ctx.settings.rawMessages();
    String prefix = ctx.freshPrefix();
    String stream = prefix + ":raw";
    try (RawClient client = v.client().apply(ctx)) {
      ctx.redis.sync().xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), RawClient.GROUP,
          XGroupCreateArgs.Builder.mkstream(true));
      int warmup = Math.max(1_000, n / 10);
      cycle(ctx, client, v, stream, warmup, ctx.progress.step(v.cycle() + ": warm-up", warmup));
      ctx.redis.sync().xtrim(stream, 0);
      AtomicLong progress = ctx.progress.step(v.label(), n);
      CostMeter.Window window = ctx.cost.start();
      long t0 = System.nanoTime();
      cycle(ctx, client, v, stream, n, progress);
      long t1 = System.nanoTime();
      CostMeter.Cost cost = window.stop(n);
      Row row = new Row(NAME, v.label()).put("cycle", v.cycle());
      Throughput.put(row, n, t1 - t0);
      cost.putInto(row.metrics());
      ctx.report.add(row);
    } finally {
      ctx.cleanup(prefix);
    }
  }

  /** Runs {@code n} entries through: the producer on a virtual thread, the consumer here. */
  private static void cycle(BenchContext ctx, RawClient client, Variant v, String stream, int n, AtomicLong progress)
      throws Exception {
    String payload = BenchContext.payload(0);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CompletableFuture<Void> produced = CompletableFuture.runAsync(() -> {
      try {
        client.produce(stream, n, payload);
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
      }
    }, r -> Thread.ofVirtual().name("baton-bench-raw-producer").start(r));
    long deadline = System.nanoTime() + ctx.settings.completionTimeout(n).toNanos();
    client.consume(stream, n, v.xdel(), progress, got -> {
      if (failure.get() != null) {
        throw new IllegalStateException(v.cycle() + ": producer failed: " + failure.get(), failure.get());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(v.cycle() + ": only " + got + " of " + n + " entries read in time");
      }
    });
    produced.get(1, TimeUnit.MINUTES);
    if (failure.get() != null) {
      throw new IllegalStateException(v.cycle() + ": producer failed: " + failure.get(), failure.get());
    }
  }
}
