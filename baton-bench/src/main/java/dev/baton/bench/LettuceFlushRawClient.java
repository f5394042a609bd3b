package dev.baton.bench;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The raw cycle through Lettuce with auto-flush off: commands queue in the connection and one
 * {@code flushCommands()} writes a batch of them at once. The producer flushes every {@value
 * #FLUSH_EVERY} XADDs; the consumer flushes the acknowledgement of one batch together with the
 * next read. Rows {@code raw-lettuce-flush} and {@code raw-lettuce-flush-xdel}.
 */
final class LettuceFlushRawClient implements RawClient {
  private static final int FLUSH_EVERY = 100;
  private static final long REPLY_TIMEOUT_SECONDS = 60;
  private final StatefulRedisConnection<String, String> producerConn;
  private final StatefulRedisConnection<String, String> consumerConn;

  LettuceFlushRawClient(BenchRedis redis) {
    this.producerConn = redis.connect();
    this.consumerConn = redis.connect();
    producerConn.setAutoFlushCommands(false);
    consumerConn.setAutoFlushCommands(false);
  }

  @Override
  public void produce(String stream, int n, String payload) throws Exception {
    RedisAsyncCommands<String, String> producer = producerConn.async();
    Semaphore window = new Semaphore(WINDOW);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int i = 0; i < n && failure.get() == null; ) {
      int batch = Math.min(FLUSH_EVERY, n - i);
      window.acquire(batch); // whole batches: nothing waits on a command still queued unflushed
      for (int end = i + batch; i < end; i++) {
        producer.xadd(stream, Map.of("t", "raw-" + i, "p", payload)).whenComplete((id, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
          window.release();
        });
      }
      producerConn.flushCommands();
    }
    window.acquire(WINDOW); // every XADD answered
    if (failure.get() != null) {
      throw new IllegalStateException("XADD failed: " + failure.get(), failure.get());
    }
  }

  @Override
  @SuppressWarnings("unchecked") // XREADGROUP's varargs of generic stream offsets
  public void consume(String stream, int n, boolean xdel, AtomicLong progress, Guard guard) throws Exception {
    RedisAsyncCommands<String, String> async = consumerConn.async();
    Consumer<String> me = Consumer.from(GROUP, CONSUMER);
    XReadArgs args = XReadArgs.Builder.count(COUNT).block(Duration.ofSeconds(1));
    XReadArgs.StreamOffset<String> from = XReadArgs.StreamOffset.lastConsumed(stream);
    RedisFuture<List<StreamMessage<String, String>>> read = async.xreadgroup(me, args, from);
    consumerConn.flushCommands();
    long got = 0;
    RedisFuture<Long> lastAck = null;
    while (true) {
      guard.check(got);
      List<StreamMessage<String, String>> batch = read.get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (batch != null && !batch.isEmpty()) {
        String[] ids = batch.stream().map(StreamMessage::getId).toArray(String[]::new);
        lastAck = async.xack(stream, GROUP, ids);
        if (xdel) {
          lastAck = async.xdel(stream, ids);
        }
        got += batch.size();
        progress.set(got);
      }
      if (got >= n) {
        consumerConn.flushCommands();
        break;
      }
      read = async.xreadgroup(me, args, from); // one write: this batch's acknowledgement and the next read
      consumerConn.flushCommands();
    }
    if (lastAck != null) {
      lastAck.get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() {
    producerConn.close();
    consumerConn.close();
  }
}
