package dev.baton;

import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.RateLimit;
import dev.baton.resilience.RateLimiter;
import dev.baton.internal.broker.RedisBroker;
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
  private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private BatonClient(BatonConfig config, JsonCodec codec, InstantSource clock) {
    this.config = config;
    this.codec = codec;
    this.clock = clock;
    this.broker = new RedisBroker(config);
    this.inspector = new Inspector(broker);
    this.waiter = new ResultWaiter(broker, inspector::find);
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

  /** Connects with a codec for payloads and results, and a clock for ids and attempt times. */
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
    return new RedisRateLimiter(broker, name, limit, clock, null);
  }

  /**
   * A handle on the fleet-wide concurrency limit {@code name}; see {@link #rateLimiter} for names.
   * A rate limit and a concurrency limit may share a name (one dependency, two limits).
   *
   * @throws IllegalArgumentException when the name is invalid
   */
  public ConcurrencyLimiter concurrencyLimiter(String name, ConcurrencyLimit limit) {
    return new RedisConcurrencyLimiter(broker, name, limit, clock, null);
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
