package dev.baton;

import dev.baton.resilience.DependencyConfig;
import dev.baton.internal.breaker.Breakers;
import dev.baton.internal.scripts.BreakerScripts;
import dev.baton.internal.scripts.Registry;
import dev.baton.internal.server.Completer;
import dev.baton.internal.server.DatasetWatch;
import dev.baton.internal.server.Heartbeater;
import dev.baton.internal.server.Janitor;
import dev.baton.internal.server.LoopRunner;
import dev.baton.internal.server.ManualPasses;
import dev.baton.internal.server.PermissionCheck;
import dev.baton.internal.server.Processor;
import dev.baton.internal.server.Promoter;
import dev.baton.internal.server.Recoverer;
import dev.baton.internal.server.Unparker;
import dev.baton.internal.server.WorkerRuntime;
import dev.baton.internal.time.Timekeeper;
import dev.baton.testing.ManualLoops;
import dev.baton.testing.SettableClock;
import java.net.InetAddress;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs handlers for one or more agent types. Many worker processes may serve the same agent type:
 * they share its consumer group, and each task goes to one worker at a time.
 *
 * <p>Each agent type gets its own reader and its own concurrency limit, so one busy type never
 * starves another. Handlers run on virtual threads. Every worker also promotes due delayed tasks
 * and keeps dead-letter queues under their cap.
 *
 * <p>Running tasks hold a lease that a heartbeat renews; every worker also runs a recoverer that
 * hands tasks whose lease ran out (their worker died, hung or was cut off) to another worker, and
 * fences the old holder off: its writes are refused and its handler is cancelled.
 *
 * <p>Dependencies registered with {@link Builder#dependency(DependencyConfig)} get a circuit breaker
 * shared through Redis; while one is open, the agent types that declare it start no task, and
 * tasks that found it unavailable are parked without consuming an attempt and released in waves
 * (see docs/resilience.md).
 *
 * <p>{@link #shutdown(Duration)} stops fetching, lets running tasks finish within the grace period,
 * then interrupts the rest without recording an outcome and releases them at once to other
 * workers: never lost, never marked done. {@link #close()} does the same with the configured grace,
 * and so does {@link BatonClient#close()} for every worker started on that client, before it closes
 * its connections.
 *
 * <p><b>Threads and JVM exit.</b> Every thread a worker starts is a daemon thread (handlers run on
 * virtual threads, which are always daemons), so a running worker does not keep the JVM alive: when
 * {@code main} returns and no other non-daemon thread is left, or on {@link System#exit}, the JVM
 * ends without stopping the worker, and the tasks it was running are released only when their lease
 * runs out ({@link HandlerOptions#DEFAULT_LEASE}), when another worker's recoverer takes them over.
 * To release them at once: close the worker (or its client) before {@code main} returns, or build it
 * with {@link Builder#shutdownHook(boolean) shutdownHook(true)}, which also covers SIGTERM and
 * SIGINT. An application whose {@code main} only runs workers blocks on {@link
 * #awaitTermination()}:
 *
 * <pre>{@code
 * Worker worker = Worker.builder(baton).shutdownHook(true).handle("summarizer", handler).build().start();
 * worker.awaitTermination(); // returns once SIGTERM (or another thread) has shut the worker down
 * }</pre>
 *
 * <p>Daemon threads are kept on purpose: a library thread that kept the JVM alive would turn a
 * forgotten {@code close()} into a process that never exits.
 *
 * <p><b>Time.</b> The worker reads every instant it records and runs every wait and timer of its
 * own (task deadlines, the heartbeat's lease check, retry pauses, loop cadence) on the clock of
 * {@link Builder#clock}, by default the client's. For tests, a {@link SettableClock} there and
 * {@link Builder#manualLoops()} make a worker's timing deterministic. Instants that several
 * processes compare (leases, due times) are always Redis server time.
 *
 * <p><b>Thread-safety.</b> A worker is thread-safe: {@link #shutdown}, {@link #close}, {@link
 * #inFlight} and the other methods may be called from any thread; concurrent shutdowns run once, and
 * every caller returns when it is done. {@link #start()} may be called once. Its {@link Builder} is
 * not thread-safe: use it from one thread.
 */
public final class Worker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  /** How long running tasks may take to finish when the worker stops: 30 s. */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);
  /** Longest pause between two looks at the delayed set for due tasks: 200 ms. */
  public static final Duration DEFAULT_PROMOTE_INTERVAL = Duration.ofMillis(200);
  /** Pause between two looks for tasks whose lease ran out: 1 s. */
  public static final Duration DEFAULT_RECOVER_INTERVAL = Duration.ofSeconds(1);
  /** How often parked tasks are looked at for release: 200 ms (not configurable). */
  public static final Duration DEFAULT_RELEASE_INTERVAL = Duration.ofMillis(200);
  /** How long each wave of released parked tasks lasts before the next, twice as large: 1 s. */
  public static final Duration DEFAULT_RELEASE_WAVE = Duration.ofSeconds(1);
  /** Consumers idle this long with no pending entry are deleted from their group (default). */
  public static final Duration CONSUMER_IDLE_LIMIT = Duration.ofHours(1);
  private static final Duration JANITOR_PERIOD = Duration.ofSeconds(30);
  /**
   * How many times one task may be released uncounted for a worker fault before the next fault is
   * charged to it as a failed attempt: 5.
   */
  public static final int DEFAULT_MAX_FAULT_RELEASES = 5;

  private final BatonClient client;
  private final WorkerRuntime runtime;
  private final List<Processor> processors = new ArrayList<>();
  private final LoopRunner promoter;
  private final LoopRunner janitor;
  private final LoopRunner heartbeater;
  private final LoopRunner recoverer;
  private final LoopRunner unparker;
  private final Breakers breakers;
  private final DatasetWatch datasetWatch;
  private final LoopRunner datasetWatchLoop;
  private final Duration shutdownGrace;
  private final ExecutorService handlers;
  private final ScheduledExecutorService timers;
  private final Completer completer;
  private final boolean shutdownHook;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final ManualLoops manualLoops;
  private volatile boolean started;
  private volatile boolean clean = true;
  private volatile Thread hook;

  private Worker(Builder b) {
    this.client = b.client;
    this.shutdownGrace = b.shutdownGrace;
    this.shutdownHook = b.shutdownHook;
    this.handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("baton-task-", 0).factory());
    ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1,
        r -> Thread.ofPlatform().daemon(true).name("baton-deadlines").unstarted(r));
    // nearly every deadline is cancelled when its task ends: drop it then, instead of keeping it
    // queued until it would have fired (minutes later, at thousands of tasks per second)
    deadlines.setRemoveOnCancelPolicy(true);
    this.timers = deadlines;
    Timekeeper time = Timekeeper.of(b.clock, timers);
    BatonConfig config = client.config();
    this.breakers = new Breakers(b.dependencies.values(), client, client.broker(), time, client.events());
    this.completer = new Completer(client.broker(), config.retention().toMillis(), b.outcomeRetryWindow, time);
    this.runtime = new WorkerRuntime(client.broker(), client.codec(), time, b.consumerName, handlers,
        b.random, config.retention().toMillis(), config.maxPayloadBytes(), b.outcomeRetryWindow, breakers, completer,
        client.events(), b.maxFaultReleases);
    List<String> queues = new ArrayList<>(b.handlers.keySet());
    b.handlers.forEach((type, reg) -> processors.add(new Processor(runtime, type, reg.options, reg.handler)));
    Promoter p = new Promoter(client.broker(), queues, b.promoteInterval);
    this.promoter = new LoopRunner("baton-promoter", p::runOnce, time);
    // a short idle limit needs a janitor that looks often enough to honour it
    Duration janitorPeriod = b.consumerIdleLimit.dividedBy(4);
    janitorPeriod = janitorPeriod.compareTo(JANITOR_PERIOD) > 0 ? JANITOR_PERIOD
        : janitorPeriod.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : janitorPeriod;
    Janitor j = new Janitor(client.broker(), queues, config.deadLetterCap(), janitorPeriod, b.consumerName,
        b.consumerIdleLimit);
    this.janitor = new LoopRunner("baton-janitor", j::runOnce, time);
    Heartbeater h = new Heartbeater(client.broker(), b.consumerName, processors, time);
    // a failed round is retried within one heartbeat interval: backing off longer would let leases run out
    this.heartbeater = new LoopRunner("baton-heartbeater", h::runOnce, time, h.interval());
    List<Recoverer.Target> targets = new ArrayList<>();
    b.handlers.forEach((type, reg) ->
        targets.add(new Recoverer.Target(type, reg.options.lease(), reg.options.maxDeliveries())));
    Recoverer r = new Recoverer(client.broker(), targets, b.recoverInterval, time, client.events(), b.consumerName);
    this.recoverer = new LoopRunner("baton-recoverer", r::runOnce, time);
    Unparker rel = new Unparker(client.broker(), breakers, queues, DEFAULT_RELEASE_INTERVAL, b.releaseWave,
        client.events(), b.consumerName, time);
    this.unparker = new LoopRunner("baton-unparker", rel::runOnce, time);
    this.datasetWatch = new DatasetWatch(client.broker(), Duration.ofSeconds(5));
    this.datasetWatchLoop = new LoopRunner("baton-dataset-watch", datasetWatch::runOnce, time);
    this.manualLoops = b.manualLoops ? new ManualPasses(p, r, j, rel, h, datasetWatch) : null;
  }

  /**
   * A builder for a worker whose connections, codec and clock come from {@code client}.
   *
   * @param client the client the worker uses; closing it shuts the worker down first
   * @return a new builder
   */
  public static Builder builder(BatonClient client) {
    return new Builder(client);
  }

  /**
   * This worker's consumer name in every group it joins.
   *
   * @return the consumer name ({@link Builder#consumerName})
   */
  public String consumerName() {
    return runtime.consumerName();
  }

  /**
   * The agent types this worker serves.
   *
   * @return the agent types, in the order they were registered
   */
  public List<String> agentTypes() {
    return processors.stream().map(Processor::agentType).toList();
  }

  /**
   * The handle that runs this worker's background loops one pass at a time.
   *
   * @return the handle
   * @throws IllegalStateException when the worker was not built with {@link Builder#manualLoops()}
   */
  public ManualLoops manualLoops() {
    if (manualLoops == null) {
      throw new IllegalStateException("this worker runs its loops by itself; build it with Builder.manualLoops()");
    }
    return manualLoops;
  }

  /**
   * Starts fetching. Creates each agent type's stream and group if missing, and registers the
   * shutdown hook if {@link Builder#shutdownHook(boolean) asked for}. The background loops start
   * too, unless built with {@link Builder#manualLoops()}. If starting fails, the worker is shut down
   * (with no grace: nothing ran yet) before the exception is thrown.
   *
   * @return this worker
   * @throws IllegalStateException when the worker was started or shut down before, or its client
   *     is closed
   * @throws RedisUnavailableException when Redis cannot be reached
   * @throws RedisConfigurationException when Redis refuses the credentials or a command
   */
  public Worker start() {
    if (started) {
      throw new IllegalStateException("worker already started");
    }
    if (stopping.get()) {
      throw new IllegalStateException("worker already shut down");
    }
    started = true;
    client.register(this);
    try {
      startComponents();
    } catch (RuntimeException e) {
      shutdown(Duration.ZERO);
      throw e;
    }
    log.info("worker {} serving {}", consumerName(), agentTypes());
    return this;
  }

  private void startComponents() {
    // before anything is read: a user that may not run what a worker needs fails here, by name
    PermissionCheck.verify(client.broker(), agentTypes(), breakers.all().stream().map(d -> d.name()).toList());
    if (shutdownHook) {
      Thread h = Thread.ofPlatform().name("baton-shutdown-" + consumerName()).unstarted(() -> shutdown(shutdownGrace));
      Runtime.getRuntime().addShutdownHook(h);
      hook = h;
    }
    datasetWatch.start();
    BreakerScripts breakerIndex = new BreakerScripts(client.broker());
    for (var d : breakers.all()) {
      breakerIndex.registerDependency(d.name());
    }
    completer.start();
    Registry registry = new Registry(client.broker());
    for (Processor p : processors) {
      registry.registerQueue(p.agentType());
      p.start();
    }
    if (manualLoops == null) {
      heartbeater.start();
      recoverer.start();
      datasetWatchLoop.start();
      promoter.start();
      unparker.start();
      janitor.start();
    }
  }

  /**
   * How many times this worker saw Redis lose Baton's data (the epoch marker changed or vanished);
   * each loss is also logged at ERROR.
   *
   * @return the number of losses seen since the worker started
   */
  public long datasetLosses() {
    return datasetWatch.losses();
  }

  /**
   * Tasks running now, in every agent type of this worker.
   *
   * @return the number of handlers running
   */
  public int inFlight() {
    return processors.stream().mapToInt(Processor::inFlight).sum();
  }

  /**
   * Stops the worker. Order: stop fetching (no new task starts); stop the recoverer, promoter,
   * unparker and janitor; wait up to {@code grace} for running tasks while the heartbeater keeps their leases;
   * then interrupt the rest without writing their outcome and release them at once to other
   * workers (not counted as attempts); last, stop the heartbeater and close the readers. Blocks
   * until that is done. Safe to call more than once and from several threads: the shutdown runs
   * once, and a caller that finds it under way waits for it and returns its result.
   *
   * @param grace how long running tasks may take to finish; {@link Duration#ZERO} releases them at once
   * @return true when every running task finished within the grace period
   */
  public boolean shutdown(Duration grace) {
    Objects.requireNonNull(grace, "grace");
    if (!stopping.compareAndSet(false, true)) {
      // another thread (the shutdown hook, BatonClient.close) is stopping it: wait for that
      awaitTerminationUninterruptibly();
      return clean;
    }
    try {
      clean = stop(grace);
    } finally {
      removeShutdownHook();
      client.unregister(this);
      terminated.countDown();
    }
    return clean;
  }

  private boolean stop(Duration grace) {
    processors.forEach(Processor::stopFetching);
    recoverer.stop(Duration.ofSeconds(5));
    datasetWatchLoop.stop(Duration.ofSeconds(5));
    promoter.stop(Duration.ofSeconds(5));
    unparker.stop(Duration.ofSeconds(5));
    janitor.stop(Duration.ofSeconds(5));
    // real time: a shutdown must end even when a test clock stands still
    long deadline = System.nanoTime() + grace.toNanos();
    boolean finished = true;
    try {
      for (Processor p : processors) {
        finished &= p.awaitIdle(deadline);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      finished = false;
    }
    if (!finished) {
      processors.forEach(Processor::abandonAndReleaseAll);
    }
    heartbeater.stop(Duration.ofSeconds(5));
    handlers.shutdown();
    try {
      handlers.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // after the handlers: a success they reported is written before the completer stops
    processors.forEach(Processor::flushOutcomes);
    completer.stop();
    timers.shutdownNow();
    processors.forEach(Processor::close);
    log.info("worker {} stopped", consumerName());
    return finished;
  }

  private void removeShutdownHook() {
    Thread h = hook;
    if (h == null || h == Thread.currentThread()) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(h);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs and finds the worker stopped
    }
  }

  /**
   * Waits until the worker has been shut down, by {@link #shutdown}, {@link #close}, {@link
   * BatonClient#close()} or the shutdown hook, and its shutdown has finished. For an application
   * whose {@code main} only runs workers: every Baton thread is a daemon thread, so without this
   * {@code main} would return and the JVM exit at once.
   *
   * @throws InterruptedException when the calling thread is interrupted while waiting
   */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /**
   * {@link #awaitTermination()} for at most {@code timeout}.
   *
   * @param timeout the longest wait
   * @return true when the worker's shutdown finished within {@code timeout}
   * @throws InterruptedException when the calling thread is interrupted while waiting
   */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void awaitTerminationUninterruptibly() {
    boolean interrupted = false;
    while (true) {
      try {
        terminated.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@link #shutdown(Duration)} with the configured grace period ({@link Builder#shutdownGrace}). */
  @Override
  public void close() {
    shutdown(shutdownGrace);
  }

  private record Registration(HandlerOptions options, TaskHandler handler) {}

  /**
   * Validating builder: each setter rejects a bad value at once with an {@link
   * IllegalArgumentException} that quotes it. Not thread-safe; use it from one thread. Get one from
   * {@link Worker#builder(BatonClient)}.
   */
  public static final class Builder {
    private final BatonClient client;
    private final Map<String, Registration> handlers = new LinkedHashMap<>();
    private final Map<String, DependencyConfig> dependencies = new LinkedHashMap<>();
    private Duration releaseWave = DEFAULT_RELEASE_WAVE;
    private String consumerName = defaultConsumerName();
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private Duration promoteInterval = DEFAULT_PROMOTE_INTERVAL;
    private Duration outcomeRetryWindow = Duration.ofSeconds(60);
    private Duration recoverInterval = DEFAULT_RECOVER_INTERVAL;
    private Duration consumerIdleLimit = CONSUMER_IDLE_LIMIT;
    private InstantSource clock;
    private boolean manualLoops;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private boolean shutdownHook;
    private int maxFaultReleases = DEFAULT_MAX_FAULT_RELEASES;

    private Builder(BatonClient client) {
      this.client = Objects.requireNonNull(client, "client");
      this.clock = client.clock();
    }

    /**
     * Serves {@code agentType} with {@code handler}; each agent type once. At least one is required.
     *
     * @param agentType the agent type (queue) to serve, matching {@link TaskRequest#AGENT_TYPE}
     * @param options concurrency, timeout, retry policy, lease and dependencies of this agent type
     * @param handler runs each task, on a virtual thread
     * @return this builder
     * @throws IllegalArgumentException when the agent type is invalid or already registered
     */
    public Builder handle(String agentType, HandlerOptions options, TaskHandler handler) {
      if (agentType == null || !TaskRequest.AGENT_TYPE.matcher(agentType).matches()) {
        throw new IllegalArgumentException("agent type must match " + TaskRequest.AGENT_TYPE.pattern()
            + ", got '" + agentType + "'");
      }
      if (handlers.containsKey(agentType)) {
        throw new IllegalArgumentException("agent type '" + agentType + "' registered twice");
      }
      handlers.put(agentType, new Registration(Objects.requireNonNull(options), Objects.requireNonNull(handler)));
      return this;
    }

    /**
     * Serves {@code agentType} with {@code handler} and {@link HandlerOptions#DEFAULT} (concurrency
     * 10, timeout 5 min, lease 15 s, the default retry policy, no dependency).
     *
     * @param agentType the agent type (queue) to serve, matching {@link TaskRequest#AGENT_TYPE}
     * @param handler runs each task, on a virtual thread
     * @return this builder
     * @throws IllegalArgumentException when the agent type is invalid or already registered
     */
    public Builder handle(String agentType, TaskHandler handler) {
      return handle(agentType, HandlerOptions.DEFAULT, handler);
    }

    /**
     * Registers a dependency that handlers may call through {@link TaskContext#dependency(String)}
     * and declare in {@link HandlerOptions#dependencies()}; each name once. None by default.
     *
     * @param dependency the dependency's name, breaker and limits
     * @return this builder
     * @throws IllegalArgumentException when a dependency of that name is already registered
     */
    public Builder dependency(DependencyConfig dependency) {
      Objects.requireNonNull(dependency, "dependency");
      if (dependencies.containsKey(dependency.name())) {
        throw new IllegalArgumentException("dependency '" + dependency.name() + "' registered twice");
      }
      dependencies.put(dependency.name(), dependency);
      return this;
    }

    /**
     * How long each wave of parked tasks released after a breaker recovers lasts before the next,
     * twice as large, starts (default {@link #DEFAULT_RELEASE_WAVE}, 1 s). The first wave is the
     * breaker's permitted probes.
     *
     * @param interval the length of a wave, in [10 ms, 10 min]
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder releaseWave(Duration interval) {
      if (interval == null || interval.toMillis() < 10 || interval.toMinutes() > 10) {
        throw new IllegalArgumentException("release wave must be in [10ms, 10min], got " + interval);
      }
      this.releaseWave = interval;
      return this;
    }

    /**
     * This worker's consumer name in the group of every agent type it serves. Must be unique per
     * process incarnation: two live workers with one name would take each other's tasks for their
     * own. The default is {@code <host>-<pid>-<random>}.
     *
     * @param name the name, matching {@link TaskRequest#ID}
     * @return this builder
     * @throws IllegalArgumentException when the name is invalid
     */
    public Builder consumerName(String name) {
      if (name == null || !TaskRequest.ID.matcher(name).matches()) {
        throw new IllegalArgumentException("consumer name must match " + TaskRequest.ID.pattern() + ", got '" + name + "'");
      }
      this.consumerName = name;
      return this;
    }

    /**
     * How long running tasks may take to finish when the worker is closed (by {@link Worker#close},
     * {@link BatonClient#close} or the shutdown hook) before they are interrupted and released
     * (default {@link #DEFAULT_SHUTDOWN_GRACE}, 30 s).
     *
     * @param grace the grace period, zero or more
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public Builder shutdownGrace(Duration grace) {
      if (grace == null || grace.isNegative()) {
        throw new IllegalArgumentException("shutdown grace must be >= 0, got " + grace);
      }
      this.shutdownGrace = grace;
      return this;
    }

    /**
     * Longest pause between two looks at the delayed set for due tasks (default {@link
     * #DEFAULT_PROMOTE_INTERVAL}, 200 ms).
     *
     * @param interval the pause, in [1 ms, 60 s]
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder promoteInterval(Duration interval) {
      if (interval == null || interval.toMillis() < 1 || interval.toSeconds() > 60) {
        throw new IllegalArgumentException("promote interval must be in [1ms, 60s], got " + interval);
      }
      this.promoteInterval = interval;
      return this;
    }

    /**
     * Pause between two looks for tasks whose lease ran out (default {@link
     * #DEFAULT_RECOVER_INTERVAL}, 1 s).
     *
     * @param interval the pause, in [1 ms, 60 s]
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder recoverInterval(Duration interval) {
      if (interval == null || interval.toMillis() < 1 || interval.toSeconds() > 60) {
        throw new IllegalArgumentException("recover interval must be in [1ms, 60s], got " + interval);
      }
      this.recoverInterval = interval;
      return this;
    }

    /**
     * How long a consumer of a gone worker (idle, holding no entry) stays in its group before any
     * worker's janitor deletes it (default 1 h). A consumer holding entries is never deleted: its
     * tasks are recovered first. Deleting a live but idle consumer is harmless: its next read
     * creates it again.
     *
     * @param limit the idle time, in [1 s, 30 days]
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder consumerIdleLimit(Duration limit) {
      if (limit == null || limit.toMillis() < 1000 || limit.toDays() > 30) {
        throw new IllegalArgumentException("consumer idle limit must be in [1s, 30d], got " + limit);
      }
      this.consumerIdleLimit = limit;
      return this;
    }

    /**
     * How many times one task may be released uncounted for a worker fault (its handler threw {@link
     * WorkerFaultException}: the worker, not the task, is said to be broken) before the next such
     * fault is charged to it as a failed attempt (default {@value #DEFAULT_MAX_FAULT_RELEASES}). The
     * count is kept in the task record ({@code flt}), across workers, so a task that breaks every
     * worker it reaches (a poison task that exhausts memory, or whose command is never found) is
     * retried and dead-lettered under its retry policy instead of circulating forever; the attempt
     * record and the dead reason say it faulted the worker. A charged fault does not pause fetching.
     * Zero charges every worker fault.
     *
     * @param max the releases allowed per task, in [0, 1000]
     * @return this builder
     * @throws IllegalArgumentException when out of range
     */
    public Builder maxFaultReleases(int max) {
      if (max < 0 || max > 1000) {
        throw new IllegalArgumentException("max fault releases must be in [0, 1000], got " + max);
      }
      this.maxFaultReleases = max;
      return this;
    }

    /**
     * How long a failed outcome write is retried before the entry is left pending for a recoverer
     * (default 60 s).
     *
     * @param window the retry window, zero or more
     * @return this builder
     * @throws IllegalArgumentException when negative
     */
    public Builder outcomeRetryWindow(Duration window) {
      if (window == null || window.isNegative()) {
        throw new IllegalArgumentException("outcome retry window must be >= 0, got " + window);
      }
      this.outcomeRetryWindow = window;
      return this;
    }

    /**
     * The clock this worker reads and waits by (default: the client's clock, which is {@link
     * InstantSource#system()} unless the client was connected with another): attempt start and end
     * times, task deadlines, the heartbeat's check that a lease was renewed in time, the recoverer's
     * grace after an outage, outcome-write retries and their window, breaker-local windows, permit
     * renewals and the pauses of every loop. With the system clock, elapsed time is measured on
     * {@link System#nanoTime()}, so a step of the wall clock moves no deadline. A {@link
     * SettableClock} drives all of it: nothing waits, fires or expires until the test moves it (see
     * {@link #manualLoops()}). Due times, leases, parking and Redis breaker periods stay on the Redis
     * server clock whatever this is.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * For tests: the background loops (promoter, recoverer, janitor, unparker, heartbeats, dataset
     * watch) start no thread and run only when {@link Worker#manualLoops()} says so; fetching and
     * outcome writing run as usual. Off by default. Usually combined with a {@link SettableClock}.
     *
     * @return this builder
     */
    public Builder manualLoops() {
      this.manualLoops = true;
      return this;
    }

    /**
     * Whether {@link Worker#start()} registers a JVM shutdown hook that runs {@link
     * Worker#shutdown(Duration)} with the {@linkplain #shutdownGrace shutdown grace} (default false).
     * The hook runs when the JVM exits normally ({@code main} returned and only daemon threads are
     * left, or {@link System#exit}) and on SIGTERM, SIGINT and SIGHUP, not on SIGKILL: running
     * tasks get the grace to finish and the rest are released at once to other workers, as the
     * CLI worker does on SIGTERM. Without it, tasks running when the JVM exits are released only
     * when their lease runs out. A worker shut down before the JVM exits removes its hook.
     *
     * @param enabled whether to register the hook
     * @return this builder
     */
    public Builder shutdownHook(boolean enabled) {
      this.shutdownHook = enabled;
      return this;
    }

    /**
     * Jitter source in [0, 1) for backoff (default {@link ThreadLocalRandom}).
     *
     * @param random returns a number in [0, 1) on each call, from any thread
     * @return this builder
     */
    public Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random);
      return this;
    }

    /**
     * Builds the worker; {@link Worker#start()} starts it.
     *
     * @return a new worker, not started
     * @throws IllegalStateException when no handler is registered, or an agent type declares a
     *     dependency that is not registered
     */
    public Worker build() {
      if (handlers.isEmpty()) {
        throw new IllegalStateException("a worker needs at least one handler");
      }
      handlers.forEach((type, reg) -> {
        for (String dep : reg.options.dependencies()) {
          if (!dependencies.containsKey(dep)) {
            throw new IllegalStateException("agent type '" + type + "' declares dependency '" + dep
                + "', which is not registered (Worker.Builder.dependency)");
          }
        }
      });
      return new Worker(this);
    }

    private static String defaultConsumerName() {
      String host;
      try {
        host = InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9.-]", "-");
      } catch (Exception e) {
        host = "host";
      }
      long pid = ProcessHandle.current().pid();
      String nonce = Long.toString(ThreadLocalRandom.current().nextLong() & 0xffffffL, 36);
      String name = host + "-" + pid + "-" + nonce;
      return name.length() > 128 ? name.substring(name.length() - 128) : name;
    }
  }

}
