package dev.baton.bench;

import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.BooleanOutput;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Lettuce with batched dispatch: auto-flush stays on (so other threads sharing the connection are
 * unaffected, unlike {@code setAutoFlushCommands(false)}), and each group of commands is handed to
 * {@code StatefulConnection.dispatch(Collection)}, which writes and flushes the whole list at once.
 */
final class LettuceDispatchHotPath implements HotPathClient {
  private static final long TIMEOUT_SECONDS = 60;
  private static final RedisCodec<String, String> CODEC = StringCodec.UTF8;
  private final StatefulRedisConnection<String, String> conn;

  LettuceDispatchHotPath(BenchRedis redis) {
    this.conn = redis.connect();
  }

  @Override
  public int batch(String sha, List<String> keys, List<String> fields) throws Exception {
    CommandArgs<String, String> scriptArgs =
        new CommandArgs<>(CODEC).add(sha).add(keys.size()).addKeys(keys).addValues(fields);
    AsyncCommand<String, String, List<Object>> script =
        new AsyncCommand<>(new Command<>(CommandType.EVALSHA, new NestedMultiOutput<>(CODEC), scriptArgs));
    conn.dispatch(script);
    int values = script.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).size();
    List<AsyncCommand<String, String, Boolean>> sets = new ArrayList<>(keys.size());
    for (String key : keys) {
      CommandArgs<String, String> args = new CommandArgs<>(CODEC).addKey(key).addKey(FIELD).addValue(VALUE);
      sets.add(new AsyncCommand<>(new Command<>(CommandType.HSET, new BooleanOutput<>(CODEC), args)));
    }
    conn.dispatch(sets); // one write and one flush for the batch
    for (AsyncCommand<String, String, Boolean> f : sets) {
      f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    return values;
  }

  @Override
  public void close() {
    conn.close();
  }
}
