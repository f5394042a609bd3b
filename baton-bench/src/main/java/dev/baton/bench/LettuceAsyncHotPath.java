package dev.baton.bench;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Lettuce as Baton uses it today: async commands with auto-flush, a future per command, each
 * command written to the socket on its own. With {@code manualFlush}, auto-flush is off and each
 * group of commands (the script call; the batch's HSETs) goes out in one {@code flushCommands()}.
 */
final class LettuceAsyncHotPath implements HotPathClient {
  private static final long TIMEOUT_SECONDS = 60;
  private final StatefulRedisConnection<String, String> conn;
  private final RedisAsyncCommands<String, String> async;
  private final boolean manualFlush;

  LettuceAsyncHotPath(BenchRedis redis, boolean manualFlush) {
    this.conn = redis.connect();
    this.async = conn.async();
    this.manualFlush = manualFlush;
    conn.setAutoFlushCommands(!manualFlush);
  }

  @Override
  public int batch(String sha, List<String> keys, List<String> fields) throws Exception {
    RedisFuture<List<Object>> script =
        async.evalsha(sha, ScriptOutputType.MULTI, keys.toArray(String[]::new), fields.toArray(String[]::new));
    flush();
    int values = script.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).size();
    List<RedisFuture<Boolean>> sets = new ArrayList<>(keys.size());
    for (String key : keys) {
      sets.add(async.hset(key, FIELD, VALUE));
    }
    flush();
    for (RedisFuture<Boolean> f : sets) {
      f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    return values;
  }

  private void flush() {
    if (manualFlush) {
      conn.flushCommands();
    }
  }

  @Override
  public void close() {
    conn.close();
  }
}
