package dev.baton.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.RedisClient;

/**
 * Jedis blocking calls on virtual threads, the idiomatic way: a pooled {@link RedisClient}, the
 * script called from the batch's thread, then each task's HSET from its own virtual thread (as a
 * handler finishing would), each borrowing a connection from the pool for its one command.
 */
final class JedisVirtualThreadsHotPath implements HotPathClient {
  private static final long TIMEOUT_SECONDS = 60;
  private final RedisClient client;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  JedisVirtualThreadsHotPath(String redisUri, int tasksPerBatch) {
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(tasksPerBatch + 1); // one per concurrent handler, plus the batch's own
    pool.setMaxIdle(tasksPerBatch + 1);
    this.client = RedisClient.builder().fromURI(URI.create(redisUri)).poolConfig(pool).build();
  }

  @Override
  public int batch(String sha, List<String> keys, List<String> fields) throws Exception {
    int values = ((List<?>) client.evalsha(sha, keys, fields)).size();
    List<Future<Long>> sets = new ArrayList<>(keys.size());
    for (String key : keys) {
      sets.add(threads.submit(() -> client.hset(key, FIELD, VALUE)));
    }
    for (Future<Long> f : sets) {
      f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    return values;
  }

  @Override
  public void close() {
    threads.close();
    client.close();
  }
}
