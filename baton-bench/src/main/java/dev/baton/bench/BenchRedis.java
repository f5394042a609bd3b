package dev.baton.bench;

import dev.baton.BatonConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;

/**
 * The harness's own Redis client, for what Baton's public API does not do: the raw-limit cycle,
 * INFO probes, Pub/Sub completion counting and key clean-up.
 *
 * <p>Its settings copy those of Baton's {@code RedisBroker} (URI timeout, auto-reconnect, a request
 * queue of 100,000, command timeouts, UTF-8 string codec), so that the raw limit is measured through
 * the same client and connection settings as Baton itself. Keep the two in step.
 */
final class BenchRedis implements AutoCloseable {
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;

  BenchRedis(String uri) {
    BatonConfig defaults = BatonConfig.builder().redisUri(uri).build();
    RedisURI redisUri = RedisURI.create(uri);
    redisUri.setTimeout(defaults.commandTimeout());
    this.client = RedisClient.create(redisUri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        .requestQueueSize(100_000)
        .timeoutOptions(TimeoutOptions.enabled(defaults.commandTimeout()))
        .build());
    this.connection = client.connect(StringCodec.UTF8);
  }

  /** The shared connection, for probes and clean-up. */
  RedisCommands<String, String> sync() {
    return connection.sync();
  }

  /** A new connection with the same settings; the caller closes it. */
  StatefulRedisConnection<String, String> connect() {
    return client.connect(StringCodec.UTF8);
  }

  RedisClient client() {
    return client;
  }

  /**
   * Deletes every key under {@code prefix} (keys {@code prefix:*}) with SCAN and UNLINK; returns how
   * many. Never touches other keys, so it is safe on a Redis the user gave.
   */
  long deletePrefix(String prefix) {
    RedisCommands<String, String> r = sync();
    ScanArgs match = ScanArgs.Builder.matches(escapeGlob(prefix) + ":*").limit(1000);
    long deleted = 0;
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = r.scan(cursor, match);
      if (!page.getKeys().isEmpty()) {
        deleted += r.unlink(page.getKeys().toArray(String[]::new));
      }
      cursor = page;
    } while (!cursor.isFinished());
    return deleted;
  }

  private static String escapeGlob(String s) {
    return s.replaceAll("([*?\\[\\]\\\\])", "\\\\$1");
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
