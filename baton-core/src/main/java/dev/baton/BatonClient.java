package dev.baton;

import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.client.ResultWaiter;
import java.time.InstantSource;
import java.util.Objects;

/**
 * A connection to one Baton deployment (one Redis and key prefix). Thread-safe; create one per
 * process and share it. Closing it closes its connections; close workers first.
 */
public final class BatonClient implements AutoCloseable {
  private final BatonConfig config;
  private final JsonCodec codec;
  private final InstantSource clock;
  private final RedisBroker broker;
  private final ResultWaiter waiter;
  private final Dispatcher dispatcher;
  private final Inspector inspector;

  private BatonClient(BatonConfig config, JsonCodec codec, InstantSource clock) {
    this.config = config;
    this.codec = codec;
    this.clock = clock;
    this.broker = new RedisBroker(config);
    this.inspector = new Inspector(broker);
    this.waiter = new ResultWaiter(broker, inspector::find, clock);
    this.dispatcher = new Dispatcher(config, codec, clock, broker, inspector, waiter);
  }

  /**
   * Connects with the default JSON codec and the system clock.
   *
   * @throws BatonException when Redis cannot be reached
   */
  public static BatonClient connect(BatonConfig config) {
    return connect(config, JsonCodec.jackson(), InstantSource.system());
  }

  /**
   * Connects with a codec for payloads and results, and a clock. The clock gives task ids their time
   * part and is the default clock of workers built on this client ({@link Worker.Builder#clock}); a
   * {@code dev.baton.testing.SettableClock} also drives the client's once-a-second re-check of awaited
   * results. {@link #connect(BatonConfig)} uses {@link InstantSource#system()}.
   *
   * @throws BatonException when Redis cannot be reached
   */
  public static BatonClient connect(BatonConfig config, JsonCodec codec, InstantSource clock) {
    return new BatonClient(Objects.requireNonNull(config), Objects.requireNonNull(codec), Objects.requireNonNull(clock));
  }

  public Dispatcher dispatcher() {
    return dispatcher;
  }

  public Inspector inspector() {
    return inspector;
  }

  /**
   * A handle on the fleet-wide rate limit {@code name} (e.g. {@code llm:gpt-4o}: 1-100 of
   * {@code [A-Za-z0-9._:/@-]}). Every process that uses the same name, with the same key prefix,
   * shares its budget; give them all the same {@code limit}. Cheap: holds no connection of its own.
   * Records the name and settings for {@link Inspector#limitUsage()}; if Redis is unreachable, that
   * is retried on the handle's next call instead of failing here.
   *
   * @throws IllegalArgumentException when the name is invalid
   */
  public RateLimiter rateLimiter(String name, RateLimit limit) {
    return new RateLimiter(broker, name, limit, clock, null);
  }

  /**
   * A handle on the fleet-wide concurrency limit {@code name}; see {@link #rateLimiter} for names.
   * A rate limit and a concurrency limit may share a name (one dependency, two limits).
   *
   * @throws IllegalArgumentException when the name is invalid
   */
  public ConcurrencyLimiter concurrencyLimiter(String name, ConcurrencyLimit limit) {
    return new ConcurrencyLimiter(broker, name, limit, clock, null);
  }

  public BatonConfig config() {
    return config;
  }

  public JsonCodec codec() {
    return codec;
  }

  InstantSource clock() {
    return clock;
  }

  RedisBroker broker() {
    return broker;
  }

  @Override
  public void close() {
    waiter.close();
    broker.close();
  }
}
