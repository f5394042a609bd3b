package dev.baton.bench;

import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Counts finished tasks from Baton's Pub/Sub "finished" channels (the completion scripts publish
 * the ids of the tasks they finished there, in the same atomic step that records the outcomes), and remembers when the
 * latest one arrived. One subscription serves any number of agent types and worker processes.
 */
final class Completions implements AutoCloseable {
  private final StatefulRedisPubSubConnection<String, String> pubsub;
  private final AtomicLong count = new AtomicLong();
  private volatile long lastNanos;
  private volatile long target = Long.MAX_VALUE;
  private volatile Thread waiter;

  /** Subscribes to {@code channels}; {@code onFinish} (may be null) gets each id on the I/O thread. */
  Completions(BenchRedis redis, List<String> channels, Consumer<String> onFinish) {
    this.pubsub = redis.client().connectPubSub(StringCodec.UTF8);
    pubsub.addListener(new RedisPubSubAdapter<>() {
      @Override
      public void message(String channel, String ids) {
        long now = System.nanoTime();
        // one message names every task one completion call finished, separated by spaces
        String[] finished = ids.split(" ");
        if (onFinish != null) {
          for (String id : finished) {
            onFinish.accept(id);
          }
        }
        lastNanos = now;
        if (count.addAndGet(finished.length) >= target) {
          LockSupport.unpark(waiter); // wakes the waiter at once, without it polling
        }
      }
    });
    pubsub.sync().subscribe(channels.toArray(String[]::new));
  }

  long count() {
    return count.get();
  }

  /** Forgets what was counted so far (after a warm-up). */
  void reset() {
    count.set(0);
  }

  /**
   * Waits until {@code n} tasks finished since the last reset and returns the arrival time
   * ({@link System#nanoTime()}) of the latest one.
   *
   * @throws TimeoutException when fewer finished within {@code timeout}
   */
  long await(long n, Duration timeout, AtomicLong progress) throws TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    waiter = Thread.currentThread();
    target = n;
    try {
      while (count.get() < n) {
        progress.set(count.get());
        if (System.nanoTime() > deadline) {
          throw new TimeoutException("only " + count.get() + " of " + n + " tasks finished within " + timeout);
        }
        LockSupport.parkNanos(250_000_000); // the progress line's pace; the last completion unparks
        if (Thread.interrupted()) {
          Thread.currentThread().interrupt();
          throw new TimeoutException("interrupted while waiting for tasks to finish");
        }
      }
    } finally {
      target = Long.MAX_VALUE;
      waiter = null;
    }
    progress.set(count.get());
    return lastNanos;
  }

  @Override
  public void close() {
    pubsub.close();
  }
}
