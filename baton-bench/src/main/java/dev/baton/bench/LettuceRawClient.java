package dev.baton.bench;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The raw cycle through Lettuce as Baton uses it: async commands on auto-flushed connections, so
 * each command is written (and flushed to the socket) on its own. Rows {@code raw} and
 * {@code raw-xdel}.
 */
final class LettuceRawClient implements RawClient {
  private final StatefulRedisConnection<String, String> producerConn;
  private final StatefulRedisConnection<String, String> consumerConn;

  LettuceRawClient(BenchRedis redis) {
    this.producerConn = redis.connect();
    this.consumerConn = redis.connect();
  }

  @Override
  public void produce(String stream, int n, String payload) throws Exception {
    RedisAsyncCommands<String, String> producer = producerConn.async();
    Semaphore window = new Semaphore(WINDOW);
    AtomicReference<Throwable> failure = new AtomicReference<>();
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
    if (failure.get() != null) {
      throw new IllegalStateException("XADD failed: " + failure.get(), failure.get());
    }
  }

  @Override
  @SuppressWarnings("unchecked") // XREADGROUP's varargs of generic stream offsets
  public void consume(String stream, int n, boolean xdel, AtomicLong progress, Guard guard)
      throws Exception {
    RedisCommands<String, String> sync = consumerConn.sync();
    RedisAsyncCommands<String, String> async = consumerConn.async();
    Consumer<String> me = Consumer.from(GROUP, CONSUMER);
    XReadArgs args = XReadArgs.Builder.count(COUNT).block(Duration.ofSeconds(1));
    long got = 0;
    RedisFuture<Long> lastAck = null;
    while (got < n) {
      guard.check(got);
      List<StreamMessage<String, String>> batch = sync.xreadgroup(me, args, XReadArgs.StreamOffset.lastConsumed(stream));
      if (batch == null || batch.isEmpty()) {
        continue;
      }
      String[] ids = batch.stream().map(StreamMessage::getId).toArray(String[]::new);
      lastAck = async.xack(stream, GROUP, ids); // not awaited: it goes out ahead of the next read
      if (xdel) {
        lastAck = async.xdel(stream, ids);
      }
      got += batch.size();
      progress.set(got);
    }
    if (lastAck != null) {
      lastAck.get(1, TimeUnit.MINUTES); // replies come in order: the last one answers for all
    }
  }

  @Override
  public void close() {
    producerConn.close();
    consumerConn.close();
  }
}
