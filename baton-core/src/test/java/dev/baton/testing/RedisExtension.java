package dev.baton.testing;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.testkit.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension: one private {@code redis-server} per test class on a free loopback port, and
 * a fresh key prefix per test so tests never see each other's keys. Clients made with {@link
 * #client()} or {@link #config()} use that prefix and are closed after the test.
 *
 * <pre>{@code
 * @RegisterExtension static final RedisExtension redis = new RedisExtension();
 * }</pre>
 *
 * <p>Without {@code redis-server} on the machine the tests are skipped, unless {@code CI=true},
 * where they fail.
 */
public final class RedisExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private RedisServer server;
  private String prefix;
  private final List<AutoCloseable> closeAfterTest = new ArrayList<>();

  @Override
  public void beforeAll(ExtensionContext context) {
    if (RedisServer.binary() == null) {
      boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
      if (ci) {
        throw new IllegalStateException("redis-server is not installed; CI must install it (apt-get install redis-server)");
      }
      Assumptions.abort("redis-server is not installed: skipping Redis tests");
    }
    server = RedisServer.start();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (server != null && !server.isRunning()) {
      server.restart(); // a previous test killed it
    }
    prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    List<AutoCloseable> toClose = new ArrayList<>(closeAfterTest);
    closeAfterTest.clear();
    java.util.Collections.reverse(toClose);
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
    }
  }

  public RedisServer server() {
    return server;
  }

  public String uri() {
    return server.uri();
  }

  /** This test's key prefix. */
  public String prefix() {
    return prefix;
  }

  /** A config builder pointing at this test's server and prefix. */
  public BatonConfig.Builder config() {
    return BatonConfig.builder().redisUri(uri()).keyPrefix(prefix);
  }

  /** A client for this test, closed after it. */
  public BatonClient client() {
    return client(config().build());
  }

  public BatonClient client(BatonConfig config) {
    return closeAfter(BatonClient.connect(config));
  }

  /** A plain Lettuce connection to this test's server, for seeding and asserting raw state. */
  public io.lettuce.core.api.sync.RedisCommands<String, String> raw() {
    io.lettuce.core.RedisClient rc = io.lettuce.core.RedisClient.create(uri());
    io.lettuce.core.api.StatefulRedisConnection<String, String> conn = rc.connect();
    closeAfter(() -> {
      conn.close();
      rc.shutdown();
    });
    return conn.sync();
  }

  /** Collects the messages published on {@code channel} from now on (subscribed when this returns). */
  public java.util.concurrent.BlockingQueue<String> subscribe(String channel) {
    java.util.concurrent.BlockingQueue<String> got = new java.util.concurrent.LinkedBlockingQueue<>();
    io.lettuce.core.RedisClient rc = io.lettuce.core.RedisClient.create(uri());
    io.lettuce.core.pubsub.StatefulRedisPubSubConnection<String, String> pubsub = rc.connectPubSub();
    closeAfter(() -> {
      pubsub.close();
      rc.shutdown();
    });
    pubsub.addListener(new io.lettuce.core.pubsub.RedisPubSubAdapter<>() {
      @Override
      public void message(String ch, String message) {
        got.add(message);
      }
    });
    pubsub.sync().subscribe(channel);
    return got;
  }

  /** Closes {@code c} after the test, in reverse order of registration. */
  public <T extends AutoCloseable> T closeAfter(T c) {
    closeAfterTest.add(c);
    return c;
  }
}
