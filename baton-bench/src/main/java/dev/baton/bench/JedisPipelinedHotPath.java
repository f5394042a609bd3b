package dev.baton.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Jedis pipelined on one connection: the script call in one round trip, the batch's HSETs in a
 * second, each a {@link Pipeline} that is written at once and whose replies are read in order.
 */
final class JedisPipelinedHotPath implements HotPathClient {
  private final Jedis jedis;
  private final Pipeline pipeline;

  JedisPipelinedHotPath(String redisUri) {
    this.jedis = new Jedis(URI.create(redisUri));
    this.pipeline = jedis.pipelined();
  }

  @Override
  public int batch(String sha, List<String> keys, List<String> fields) {
    Response<Object> script = pipeline.evalsha(sha, keys, fields);
    pipeline.sync();
    int values = ((List<?>) script.get()).size();
    List<Response<Long>> sets = new ArrayList<>(keys.size());
    for (String key : keys) {
      sets.add(pipeline.hset(key, FIELD, VALUE));
    }
    pipeline.sync();
    sets.forEach(Response::get); // throws on an error reply
    return values;
  }

  @Override
  public void close() {
    jedis.close();
  }
}
