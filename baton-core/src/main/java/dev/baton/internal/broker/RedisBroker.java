package dev.baton.internal.broker;

import dev.baton.BatonConfig;
import dev.baton.BatonException;
import dev.baton.RedisConfigurationException;
import dev.baton.RedisUnavailableException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.UnblockType;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The only class that sends commands to Redis, and only transport: connections (one shared
 * multiplexed connection for everything that does not block, a dedicated one per blocking reader,
 * Pub/Sub), scripts by EVALSHA with reload on NOSCRIPT, reconnects, and the typed "Redis is down"
 * error. It knows no script layout and no key's meaning: the gateways of {@code
 * dev.baton.internal.scripts} do, and call it.
 */
public final class RedisBroker implements AutoCloseable {
  /**
   * Longest pause between two reconnect attempts. Lettuce's default backoff grows to 30 s, so after
   * an outage of ten seconds a client could wait seven more after Redis was back (F6 allows five).
   */
  static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(1);

  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> shared;
  private final RedisAsyncCommands<String, String> async;
  private final ScriptRunner scripts = new ScriptRunner();
  private final Keys keys;
  private final Duration commandTimeout;
  private final String where;
  private final int database;

  public RedisBroker(BatonConfig config) {
    this.keys = new Keys(config.keyPrefix());
    this.commandTimeout = config.commandTimeout();
    RedisURI uri = RedisURI.create(config.redisUri());
    uri.setTimeout(config.commandTimeout());
    this.where = redacted(uri);
    this.database = uri.getDatabase();
    this.resources = ClientResources.builder()
        .reconnectDelay(Delay.exponential(Duration.ZERO, MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS))
        .build();
    this.client = RedisClient.create(resources, uri);
    ClientOptions.Builder options = ClientOptions.builder();
    if (config.redisCaFile() != null) {
      options.sslOptions(io.lettuce.core.SslOptions.builder().jdkSslProvider()
          .trustManager(config.redisCaFile().toFile()).build());
    }
    client.setOptions(options
        .autoReconnect(true)
        // bounded: while Redis is down, callers fail fast instead of buffering without limit
        .requestQueueSize(100_000)
        .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout()))
        .build());
    StatefulRedisConnection<String, String> connection = null;
    try {
      connection = client.connect(ScriptRunner.codec());
      // the handshake does not authenticate a connection without credentials: ask now, so that a
      // server requiring a password fails the connect (NOAUTH), not the first real command
      connection.async().ping().toCompletableFuture().get(commandTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      if (connection != null) {
        connection.close();
      }
      client.shutdown();
      resources.shutdown();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      RedisConfigurationException refused = refusal(cause);
      if (refused == null) {
        refused = handshakeRefusal(cause);
      }
      if (refused != null) {
        throw refused;
      }
      throw new RedisUnavailableException("cannot connect to Redis at " + where + ": " + cause.getMessage(), cause);
    }
    this.shared = connection;
    this.async = connection.async();
  }

  /** The key names of this deployment's prefix, for the gateways; the broker itself names no key. */
  public Keys keys() {
    return keys;
  }

  // ---- scripts -------------------------------------------------------------------------------

  public <T> CompletableFuture<T> run(Script script, String[] keyNames, String... args) {
    return scripts.run(async, script, keyNames, args);
  }

  /** Runs a script and waits for it, up to the command timeout. */
  public <T> T runSync(Script script, String[] keyNames, String... args) {
    return await(this.<T>run(script, keyNames, args));
  }

  /**
   * Runs a script and waits at most {@code timeout} (shorter than the command timeout): for callers
   * that have a fallback and must not stall while Redis is away.
   *
   * @throws RedisUnavailableException when Redis fails or does not answer in time
   */
  public <T> T runWithin(Duration timeout, Script script, String[] keyNames, String... args) {
    CompletableFuture<T> f = run(script, keyNames, args);
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisUnavailableException("interrupted while waiting for Redis", e);
    } catch (ExecutionException e) {
      RedisConfigurationException refused = refusal(e.getCause());
      if (refused != null) {
        throw refused;
      }
      if (isConnectionFailure(e.getCause())) {
        throw new RedisUnavailableException("Redis unavailable: " + e.getCause().getMessage(), e.getCause());
      }
      throw new BatonException("Redis command failed: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new RedisUnavailableException("Redis did not answer within " + timeout, e);
    }
  }

  // ---- plain commands ------------------------------------------------------------------------
  // One Redis command each, sent at once on the shared connection: send several, then await them,
  // and they go in one round trip. What the keys mean is the gateways' business
  // (dev.baton.internal.scripts); this class only carries the commands.

  /** {@code ACL WHOAMI}: the user this client is authenticated as. */
  public CompletableFuture<String> aclWhoami() {
    return async.aclWhoami().toCompletableFuture();
  }

  /**
   * {@code ACL DRYRUN user command args...}: {@code "OK"} when {@code user} may run the command on
   * those keys and channels, else Redis's reason. Nothing is run.
   */
  public CompletableFuture<String> aclDryRun(String user, String command, String... args) {
    return async.aclDryRun(user, command, args).toCompletableFuture();
  }

  /** Throws {@link RedisUnavailableException} unless Redis answers. */
  public void ping() {
    await(async.ping().toCompletableFuture());
  }

  /** Redis server time, ms since the epoch. */
  public long serverTimeMillis() {
    List<String> t = await(async.time().toCompletableFuture());
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }

  public CompletableFuture<String> get(String key) {
    return async.get(key).toCompletableFuture();
  }

  /** {@code SET key value NX}: completes with true when this call set it. */
  public CompletableFuture<Boolean> setIfAbsent(String key, String value) {
    return async.set(key, value, SetArgs.Builder.nx()).toCompletableFuture().thenApply("OK"::equals);
  }

  public CompletableFuture<Long> exists(String key) {
    return async.exists(key).toCompletableFuture();
  }

  public CompletableFuture<Map<String, String>> hgetall(String key) {
    return async.hgetall(key).toCompletableFuture();
  }

  public CompletableFuture<String> hget(String key, String field) {
    return async.hget(key, field).toCompletableFuture();
  }

  public CompletableFuture<Long> hset(String key, Map<String, String> fields) {
    return async.hset(key, fields).toCompletableFuture();
  }

  public CompletableFuture<Long> sadd(String key, String member) {
    return async.sadd(key, member).toCompletableFuture();
  }

  /** The members of a set, sorted. */
  public CompletableFuture<List<String>> smembersSorted(String key) {
    return async.smembers(key).toCompletableFuture().thenApply(members -> {
      List<String> all = new ArrayList<>(members);
      all.sort(null);
      return all;
    });
  }

  public CompletableFuture<Long> zcard(String key) {
    return async.zcard(key).toCompletableFuture();
  }

  /** Members of a sorted set by rank, lowest score first: {@code ZRANGE key start stop}. */
  public CompletableFuture<List<String>> zrange(String key, long start, long stop) {
    return async.zrange(key, start, stop).toCompletableFuture();
  }

  /** The first {@code count} members scored in [{@code min}, {@code max}], lowest first (infinities allowed). */
  public CompletableFuture<List<String>> zrangeByScore(String key, double min, double max, long count) {
    return async.zrangebyscore(key, Range.create(min, max), Limit.create(0, count)).toCompletableFuture();
  }

  /** The bodies of every entry of a stream, oldest first. */
  public CompletableFuture<List<Map<String, String>>> xrangeBodies(String key) {
    return async.xrange(key, Range.create("-", "+")).toCompletableFuture().thenApply(all -> {
      List<Map<String, String>> out = new ArrayList<>(all.size());
      for (StreamMessage<String, String> m : all) {
        out.add(m.getBody());
      }
      return out;
    });
  }

  /** One page of a SCAN; {@code cursor} is "0" once the pass is over. */
  public record ScanPage(String cursor, List<String> keys) {}

  /** The next page of keys matching {@code pattern}, starting at {@code cursor} ("0": the start). */
  public CompletableFuture<ScanPage> scan(String cursor, String pattern, int count) {
    return async.scan(ScanCursor.of(cursor), ScanArgs.Builder.matches(pattern).limit(count)).toCompletableFuture()
        .thenApply(page -> new ScanPage(page.isFinished() ? "0" : page.getCursor(), page.getKeys()));
  }

  /**
   * The next page of the fields of hash {@code key}, starting at {@code cursor} ("0": the start);
   * the page's cursor is "0" once the pass is over.
   */
  public CompletableFuture<ScanPage> hscanFields(String key, String cursor, int count) {
    return async.hscan(key, ScanCursor.of(cursor), ScanArgs.Builder.limit(count)).toCompletableFuture()
        .thenApply(page -> new ScanPage(page.isFinished() ? "0" : page.getCursor(), List.copyOf(page.getMap().keySet())));
  }

  /** Creates the stream and the consumer group at the start, if missing; a no-op otherwise. */
  public void createGroup(String stream, String group) {
    try {
      await(async.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), group, XGroupCreateArgs.Builder.mkstream(true))
          .toCompletableFuture());
    } catch (BatonException e) {
      if (e.getCause() == null || e.getCause().getMessage() == null || !e.getCause().getMessage().startsWith("BUSYGROUP")) {
        throw e;
      }
    }
  }

  public StatefulRedisPubSubConnection<String, String> connectPubSub() {
    return client.connectPubSub(ScriptRunner.codec());
  }

  /** Opens a dedicated connection for one blocking reader of {@code stream} in {@code group}. */
  public BlockingReader openReader(String stream, String group, String consumer) {
    return new BlockingReader(client.connect(ScriptRunner.codec()), stream, group, consumer);
  }

  /** A dedicated connection that blocks on XREADGROUP for one stream. */
  public final class BlockingReader implements AutoCloseable {
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> sync;
    private final String stream;
    private final Consumer<String> consumer;
    private volatile long clientId;

    private BlockingReader(StatefulRedisConnection<String, String> connection, String stream, String group,
        String consumer) {
      this.connection = connection;
      this.sync = connection.sync();
      this.stream = stream;
      this.consumer = Consumer.from(group, consumer);
      this.clientId = sync.clientId();
    }

    /** New entries for this consumer, waiting up to {@code block}; empty on timeout or unblock. */
    public List<StreamMessage<String, String>> read(int count, Duration block) {
      List<StreamMessage<String, String>> got = sync.xreadgroup(
          consumer, XReadArgs.Builder.block(block).count(count), XReadArgs.StreamOffset.lastConsumed(stream));
      return got == null ? List.of() : got;
    }

    /**
     * Sends {@code script} on this reader's connection without waiting, so that a read sent right
     * after it goes out in the same round trip (layout 2's fetch cycle).
     */
    public <T> CompletableFuture<T> run(Script script, String[] keyNames, String... args) {
      return scripts.run(connection.async(), script, keyNames, args);
    }

    /** As {@link #read}, without waiting for the reply; {@code block} null reads without BLOCK. */
    public CompletableFuture<List<StreamMessage<String, String>>> readAsync(int count, Duration block) {
      XReadArgs args = block == null ? XReadArgs.Builder.count(count) : XReadArgs.Builder.block(block).count(count);
      @SuppressWarnings("unchecked") // XREADGROUP's varargs of generic stream offsets
      CompletableFuture<List<StreamMessage<String, String>>> f = connection.async()
          .xreadgroup(consumer, args, XReadArgs.StreamOffset.lastConsumed(stream)).toCompletableFuture();
      return f.thenApply(got -> got == null ? List.of() : got);
    }

    /** Wakes a blocked {@link #read} from another thread; it returns empty, delivering nothing. */
    public void unblock() {
      try {
        async.clientUnblock(clientId, UnblockType.TIMEOUT).get(1, TimeUnit.SECONDS);
      } catch (Exception e) {
        // best effort: the read returns by itself within its block timeout
      }
    }

    /**
     * As {@link #unblock}, and says whether a blocked read was woken: false when none was blocked
     * (not yet, or no longer) or Redis did not answer.
     */
    public boolean unblockOnce() {
      try {
        return async.clientUnblock(clientId, UnblockType.TIMEOUT).get(1, TimeUnit.SECONDS) == 1L;
      } catch (Exception e) {
        return false;
      }
    }

    /** Refreshes the client id after a reconnect, so {@link #unblock} targets the right client. */
    public void refreshClientIdQuietly() {
      try {
        this.clientId = sync.clientId();
      } catch (RuntimeException e) {
        // still disconnected; the next failure tries again
      }
    }

    @Override
    public void close() {
      connection.close();
    }
  }

  // ---- plumbing ------------------------------------------------------------------------------

  public <T> T await(CompletableFuture<T> future) {
    try {
      return future.get(commandTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BatonException("interrupted while waiting for Redis", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      RedisConfigurationException refused = refusal(cause);
      if (refused != null) {
        throw refused;
      }
      if (isConnectionFailure(cause)) {
        throw new RedisUnavailableException("Redis unavailable: " + cause.getMessage(), cause);
      }
      throw new BatonException("Redis command failed: " + cause.getMessage(), cause);
    } catch (TimeoutException e) {
      throw new RedisUnavailableException("Redis did not answer within " + commandTimeout, e);
    }
  }

  private static boolean isConnectionFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof RedisConnectionException
          || c instanceof RedisCommandTimeoutException
          || c instanceof io.lettuce.core.RedisLoadingException
          || c instanceof java.io.IOException
          || c instanceof java.nio.channels.ClosedChannelException) {
        return true;
      }
    }
    return false;
  }

  /**
   * A {@link RedisConfigurationException} when {@code t}'s cause chain holds an authentication or
   * permission refusal ({@code WRONGPASS}, {@code NOAUTH}, {@code NOPERM}), else null. Lettuce wraps
   * a refused handshake in a connection exception: without this it would read as "unreachable".
   */
  private RedisConfigurationException refusal(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof RedisConfigurationException r) {
        return r;
      }
      String m = c.getMessage() == null ? "" : c.getMessage().strip();
      String code = m.startsWith("WRONGPASS") ? "WRONGPASS" : m.startsWith("NOAUTH") ? "NOAUTH"
          : m.startsWith("NOPERM") ? "NOPERM" : null;
      if (code == null) {
        continue;
      }
      String what = switch (code) {
        case "WRONGPASS" -> "refused the credentials (WRONGPASS): check the user name and password in the Redis URI"
            + " (redis://user:password@host:port)";
        case "NOAUTH" -> "requires a password (NOAUTH): give it in the Redis URI (redis://:password@host:port,"
            + " or redis://user:password@host:port for an ACL user)";
        default -> "does not permit this user a command or key Baton needs (" + oneLine(m) + "): grant the ACL"
            + " user Baton's commands and every key under the prefix '" + keys.prefix() + ":'";
      };
      return new RedisConfigurationException(code, "Redis at " + where + " " + what, c);
    }
    return null;
  }

  /**
   * At connect only: a {@link RedisConfigurationException} for a handshake that fails for a reason
   * retrying cannot fix, else null. {@code DB_INDEX}: Redis refused the database of the URI ({@code
   * SELECT}: "ERR DB index is out of range"); {@code TLS}: the TLS handshake failed (an untrusted or
   * mismatched certificate, or {@code rediss://} to a server that does not speak TLS).
   */
  private RedisConfigurationException handshakeRefusal(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = c.getMessage() == null ? "" : c.getMessage().strip();
      if (m.contains("DB index is out of range") || m.contains("invalid DB index")) {
        return new RedisConfigurationException("DB_INDEX", "Redis at " + where + " refused database " + database
            + " (" + oneLine(m) + "): the server has fewer databases (its 'databases' setting, 16 by default);"
            + " give an index it has as the path of the Redis URI (redis://host:port/0)", c);
      }
      if (c instanceof javax.net.ssl.SSLException || c instanceof java.security.GeneralSecurityException
          || c.getClass().getName().endsWith(".NotSslRecordException")) {
        return new RedisConfigurationException("TLS", "Redis at " + where + ": the TLS handshake failed ("
            + c.getClass().getSimpleName() + (m.isEmpty() ? "" : ": " + oneLine(m)) + "): check that the server"
            + " speaks TLS (rediss://) or not (redis://), and that its certificate is trusted (the JVM's trust store, or"
            + " the CA file given) and names the host", c);
      }
    }
    return null;
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s+", " ");
  }

  private static String redacted(RedisURI uri) {
    return (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort();
  }

  @Override
  public void close() {
    shared.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
