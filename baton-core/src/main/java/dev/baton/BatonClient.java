package dev.baton;

import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.RateLimit;
import dev.baton.resilience.RateLimiter;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.events.LifecycleEvents;
import dev.baton.internal.limits.RedisConcurrencyLimiter;
import dev.baton.internal.limits.RedisRateLimiter;
import dev.baton.internal.client.ResultWaiter;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connection to one Baton deployment (one Redis and key prefix). Create one per process and
 * share it: it hands out the {@link #dispatcher()}, the {@link #inspector()}, limit handles, and is
 * what {@link Worker#builder(BatonClient)} builds workers on.
 *
 * <p>Thread-safe: every method may be called from any thread, and so may those of the dispatcher
 * and inspector it returns.
 *
 * <p>{@link #close()} shuts down the workers started on it first (each in two phases, with its own
 * shutdown grace), then closes its connections. Baton's threads are daemon threads: a client left
 * open does not keep the JVM from exiting (see {@link Worker} on JVM exit and the shutdown hook).
 */
public final class BatonClient implements AutoCloseable {
  private final BatonConfig config;
  private final JsonCodec codec;
  private final InstantSource clock;
  private final RedisBroker broker;
  private final ResultWaiter waiter;
  private final Dispatcher dispatcher;
  private final Inspector inspector;
  private final LifecycleEvents events;
  private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private BatonClient(BatonConfig config, JsonCodec codec, InstantSource clock) {
    this.config = config;
    this.codec = codec;
    this.clock = clock;
    this.broker = new RedisBroker(config);
    this.inspector = new Inspector(broker);
    this.waiter = new ResultWaiter(broker, inspector::find, inspector::task, clock);
    this.events = new LifecycleEvents(config.listeners());
    this.dispatcher = new Dispatcher(config, codec, clock, broker, inspector, waiter, events);
  }

  /**
   * Connects with the default JSON codec ({@link JsonCodec#jackson()}) and the system clock.
   *
   * @param config where Redis is and Baton's settings
   * @return a connected client; close it when done
   * @throws RedisUnavailableException when Redis cannot be reached
   * @throws RedisConfigurationException when Redis refuses the credentials (wrong or missing
   *     password, see {@link BatonConfig#redisUri()})
   */
  public static BatonClient connect(BatonConfig config) {
    return connect(config, JsonCodec.jackson(), InstantSource.system());
  }

  /**
   * Connects with a codec for payloads and results, and a clock (due times and leases always use
   * the Redis server clock). The clock gives task ids their time part, stamps attempt records and is
   * the default clock of workers built on this client ({@link Worker.Builder#clock}); a {@code
   * dev.baton.testing.SettableClock} also drives the client's once-a-second re-check of awaited
   * results. {@link #connect(BatonConfig)} uses {@link InstantSource#system()}.
   *
   * @param config where Redis is and Baton's settings
   * @param codec encodes payloads and results, and decodes them for typed access
   * @param clock the clock for task ids (UUIDv7), attempt records and deadlines
   * @return a connected client; close it when done
   * @throws RedisUnavailableException when Redis cannot be reached
   * @throws RedisConfigurationException when Redis refuses the credentials
   */
  public static BatonClient connect(BatonConfig config, JsonCodec codec, InstantSource clock) {
    return new BatonClient(Objects.requireNonNull(config), Objects.requireNonNull(codec), Objects.requireNonNull(clock));
  }

  /**
   * The dispatcher: enqueue, cancel, await results. One per client.
   *
   * @return the client's dispatcher, thread-safe
   */
  public Dispatcher dispatcher() {
    return dispatcher;
  }

  /**
   * The inspector: task and queue state, breakers, limits, dead letters. One per client.
   *
   * @return the client's inspector, thread-safe
   */
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
   * @param name the limit's name
   * @param limit the budget per interval
   * @return a thread-safe handle that uses this client's connections
   * @throws IllegalArgumentException when the name is invalid
   */
  public RateLimiter rateLimiter(String name, RateLimit limit) {
    return new RedisRateLimiter(broker, name, limit, clock, null);
  }

  /**
   * A handle on the fleet-wide concurrency limit {@code name}; see {@link #rateLimiter} for names.
   * A rate limit and a concurrency limit may share a name (one dependency, two limits).
   *
   * @param name the limit's name
   * @param limit the permits and their lease
   * @return a thread-safe handle that uses this client's connections
   * @throws IllegalArgumentException when the name is invalid
   */
  public ConcurrencyLimiter concurrencyLimiter(String name, ConcurrencyLimit limit) {
    return new RedisConcurrencyLimiter(broker, name, limit, clock, null);
  }

  /**
   * The settings this client was connected with.
   *
   * @return the configuration
   */
  public BatonConfig config() {
    return config;
  }

  /**
   * The codec for payloads and results.
   *
   * @return the codec given to {@link #connect(BatonConfig, JsonCodec, InstantSource)}, or the
   *     default JSON codec
   */
  public JsonCodec codec() {
    return codec;
  }

  InstantSource clock() {
    return clock;
  }

  LifecycleEvents events() {
    return events;
  }

  RedisBroker broker() {
    return broker;
  }

  /** Called by {@link Worker#start()}: the client stops its running workers before it closes. */
  void register(Worker worker) {
    workers.add(worker);
    if (closed.get()) {
      workers.remove(worker);
      throw new IllegalStateException("the BatonClient of this worker is closed");
    }
  }

  void unregister(Worker worker) {
    workers.remove(worker);
  }

  /**
   * Shuts down every running worker built on this client, then closes the client's connections.
   * Each worker stops in two phases with its own shutdown grace ({@link Worker#close()}): it stops
   * fetching, lets running tasks finish within the grace, then interrupts the rest and releases
   * them at once to other workers. Workers are stopped first because they need the connections to
   * write outcomes and release tasks. Blocks until that is done; a second call does nothing.
   * Pending {@link Dispatcher#awaitResult} futures are not completed by closing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    // the workers first, each in two phases: they write outcomes and release tasks through the
    // broker, which must stay open until they are done
    for (Worker w : List.copyOf(workers)) {
      w.close();
    }
    waiter.close();
    broker.close();
  }
}
