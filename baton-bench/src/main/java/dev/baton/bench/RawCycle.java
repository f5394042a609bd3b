package dev.baton.bench;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The raw limit: the least any Redis Streams queue must do per task, with Baton's client settings.
 * A producer connection pipelines XADD (the task id and the 100-byte payload), at most 1,000 unanswered;
 * a consumer connection loops XREADGROUP COUNT 100 and acknowledges each batch with one XACK sent
 * without waiting, pipelined with the next read. Time runs from the first XADD to the last XACK
 * reply. No Lua, no task record, no outcome: every Baton figure is compared with this one.
 */
final class RawCycle implements Scenario {
  static final String NAME = "raw";
  private static final int WINDOW = 1_000;
  private static final int COUNT = 100;

  @Override
  public void run(BenchContext ctx) throws Exception {
    int n = ctx.settings.rawMessages();
    String prefix = ctx.freshPrefix();
    String stream = prefix + ":raw";
    try (StatefulRedisConnection<String, String> producerConn = ctx.redis.connect();
        StatefulRedisConnection<String, String> consumerConn = ctx.redis.connect()) {
      RedisCommands<String, String> consumer = consumerConn.sync();
      consumer.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), "g", XGroupCreateArgs.Builder.mkstream(true));
      int warmup = Math.max(1_000, n / 10);
      cycle(ctx, producerConn.async(), consumerConn, stream, warmup, ctx.progress.step("raw cycle: warm-up", warmup));
      consumer.xtrim(stream, 0);
      AtomicLong progress = ctx.progress.step("raw cycle: XADD -> XREADGROUP COUNT 100 -> XACK", n);
      CostMeter.Window window = ctx.cost.start();
      long t0 = System.nanoTime();
      cycle(ctx, producerConn.async(), consumerConn, stream, n, progress);
      long t1 = System.nanoTime();
      CostMeter.Cost cost = window.stop(n);
      Row row = new Row(NAME, "XADD + XREADGROUP COUNT 100 + XACK, pipelined");
      Throughput.put(row, n, t1 - t0);
      cost.putInto(row.metrics());
      ctx.report.add(row);
    } finally {
      ctx.cleanup(prefix);
    }
  }

  @SuppressWarnings("unchecked") // XREADGROUP's varargs of generic stream offsets
  private static void cycle(BenchContext ctx, RedisAsyncCommands<String, String> producer,
      StatefulRedisConnection<String, String> consumerConn, String stream, int n, AtomicLong progress)
      throws Exception {
    String payload = BenchContext.payload(0);
    Semaphore window = new Semaphore(WINDOW);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CompletableFuture<Void> produced = CompletableFuture.runAsync(() -> {
      try {
        for (int i = 0; i < n && failure.get() == null; i++) {
          window.acquire();
          producer.xadd(stream, Map.of("t", "raw-" + i, "p", payload)).whenComplete((id, e) -> {
            if (e != null) {
              failure.compareAndSet(null, e);
            }
            window.release();
          });
        }
        window.acquire(WINDOW); // every XADD answered
        window.release(WINDOW);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure.compareAndSet(null, e);
      }
    }, r -> Thread.ofVirtual().name("baton-bench-raw-producer").start(r));
    RedisCommands<String, String> sync = consumerConn.sync();
    RedisAsyncCommands<String, String> async = consumerConn.async();
    Consumer<String> me = Consumer.from("g", "c");
    XReadArgs args = XReadArgs.Builder.count(COUNT).block(Duration.ofSeconds(1));
    long got = 0;
    RedisFuture<Long> lastAck = null;
    long deadline = System.nanoTime() + ctx.settings.completionTimeout(n).toNanos();
    while (got < n) {
      if (failure.get() != null) {
        throw new IllegalStateException("raw cycle: XADD failed: " + failure.get(), failure.get());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("raw cycle: only " + got + " of " + n + " entries read in time");
      }
      List<StreamMessage<String, String>> batch = sync.xreadgroup(me, args, XReadArgs.StreamOffset.lastConsumed(stream));
      if (batch == null || batch.isEmpty()) {
        continue;
      }
      lastAck = async.xack(stream, "g", batch.stream().map(StreamMessage::getId).toArray(String[]::new));
      got += batch.size();
      progress.set(got);
    }
    if (lastAck != null) {
      await(lastAck);
    }
    produced.get(1, TimeUnit.MINUTES);
  }

  private static <T> T await(RedisFuture<T> f) {
    try {
      return f.get(1, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("raw cycle: " + e, e);
    }
  }
}
