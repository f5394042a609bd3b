package dev.baton.chaos;

import dev.baton.chaos.FaultEvent.Kind;
import dev.baton.testkit.StartupCache;
import dev.baton.testkit.TcpProxy;
import dev.baton.testkit.WorkerJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The worker JVMs of a run, one per slot, each behind its own {@link TcpProxy}, and the faults
 * aimed at them. Every fault actually applied is added to the run's fault list with its wall-clock
 * times; a planned fault that cannot be applied (the worker is already paused, nothing is up) is
 * skipped and not recorded.
 */
final class WorkerFleet implements AutoCloseable {
  private final ChaosSettings s;
  private final Path dir;
  private final Launch launch;
  private final List<FaultEvent> faults;
  private final List<Slot> slots = new ArrayList<>();

  /** A worker position: its proxy stays; its process is replaced after every kill. */
  private final class Slot {
    final String name;
    final TcpProxy proxy;
    final ReentrantLock lock = new ReentrantLock();
    int generation;
    WorkerJvm process;
    String consumer;
    WorkerJvm paused;
    long readyAt = -1;

    Slot(String name, TcpProxy proxy) {
      this.name = name;
      this.proxy = proxy;
    }

    Path log() {
      return dir.resolve("worker-" + consumer + ".log");
    }

    /** The current incarnation printed READY (with its epoch ms): it fetches tasks. */
    boolean ready() {
      if (readyAt < 0) {
        try {
          if (Files.exists(log())) {
            for (String line : Files.readAllLines(log())) {
              String[] f = line.split(" ");
              if (f.length > 2 && f[1].equals("READY")) {
                readyAt = Long.parseLong(f[0]);
              }
            }
          }
        } catch (IOException | NumberFormatException e) {
          return false;
        }
      }
      return readyAt >= 0;
    }

    /** Up, unpaused and ready for at least a second: it has had time to take tasks. */
    boolean working() {
      return paused == null && process.isAlive() && ready() && System.currentTimeMillis() - readyAt >= 1_000;
    }
  }

  /**
   * How every {@link ChaosWorker} JVM starts. A worker killed every few seconds spends most of its
   * life starting, and on 2 shared cores a cold start takes 2-7 s, which would dominate the
   * redelivery figures. So, when the worker's classes all come from jars, {@link #prepare} first
   * records a {@link StartupCache} that every worker then starts from, about twice as fast. Any
   * failure there only costs the speed-up.
   */
  record Launch(List<String> jvmOptions, String classPath) {
    private static final List<String> BASE = List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");

    /**
     * Records the start-up cache with a training run against {@code redisUri}, under a throw-away
     * prefix. With {@code layout} 2 every worker, the training run included (so the cache holds the
     * classes layout 2 loads), runs with {@code -Dbaton.layout=2}.
     */
    static Launch prepare(Path dir, String redisUri, int layout) {
      List<String> base = new ArrayList<>(BASE);
      if (layout == 2) {
        base.add("-D" + ChaosWorker.LAYOUT_PROPERTY + "=2");
      }
      Launch cold = new Launch(base, System.getProperty("java.class.path"));
      boolean fromJars = StartupCache.possible(ChaosWorker.class, dev.baton.Worker.class);
      if (!fromJars || Boolean.getBoolean("chaos.noStartupCache")) {
        return cold;
      }
      Launch jars = new Launch(base, StartupCache.jarClassPath());
      try {
        WorkerJvm.Builder training = jars.worker(List.of("--redis", redisUri, "--prefix", "chaos-training", "--queue",
            "training", "--consumer", "training", "--history", dir.resolve("training-history.log").toString(),
            "--concurrency", "1", "--lease-ms", "2000", "--recover-ms", "1000"))
            .logFile(dir.resolve("worker-training.log"));
        StartupCache cache = StartupCache.record(training, dir, "READY", Duration.ofSeconds(60));
        long mb = Files.size(cache.file()) / (1024 * 1024);
        ChaosRun.log("workers start from " + cache.file().getFileName() + " (" + mb + " MB)");
        List<String> options = new ArrayList<>(base);
        options.addAll(cache.jvmOptions());
        return new Launch(options, jars.classPath());
      } catch (IOException | RuntimeException e) {
        ChaosRun.log("no start-up cache for workers (" + e + "); they start cold");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return cold;
    }

    WorkerJvm.Builder worker(List<String> args) {
      return WorkerJvm.builder(ChaosWorker.class).jvmOptions(jvmOptions).classPath(classPath).args(args);
    }
  }

  WorkerFleet(ChaosSettings s, Path dir, Launch launch, int redisPort, List<FaultEvent> faults) throws IOException {
    this.s = s;
    this.dir = dir;
    this.launch = launch;
    this.faults = faults;
    for (int i = 1; i <= s.workers(); i++) {
      slots.add(new Slot("w" + i, new TcpProxy(redisPort)));
    }
  }

  /** Starts every worker and waits until each fetches. */
  void start() throws Exception {
    for (Slot slot : slots) {
      spawn(slot);
    }
    for (Slot slot : slots) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!slot.ready()) {
        if (!slot.process.isAlive()) {
          throw new IllegalStateException("worker " + slot.consumer + " exited: " + Files.readString(slot.log()));
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("worker " + slot.consumer + " not ready within 60s");
        }
        Thread.sleep(50);
      }
    }
  }

  private void spawn(Slot slot) throws IOException {
    slot.generation++;
    slot.consumer = slot.name + "-g" + slot.generation;
    slot.readyAt = -1;
    slot.process = launch.worker(List.of(
        "--redis", slot.proxy.uri(), "--prefix", ChaosRun.PREFIX, "--queue", ChaosRun.QUEUE,
        "--consumer", slot.consumer, "--history", dir.resolve("history-" + slot.consumer + ".log").toString(),
        "--concurrency", Integer.toString(s.concurrency()), "--lease-ms", Long.toString(s.leaseMs()),
        "--recover-ms", Long.toString(s.recoverMs()), "--max-deliveries", Integer.toString(s.maxDeliveries())))
        .output(slot.log()).start();
  }

  /**
   * The planned slot if its worker is {@link Slot#working()}, else the next one that is: killing
   * or pausing a JVM that is still starting tests nothing, and on a loaded machine a restarted
   * worker can take several seconds to start. Waits up to 20 s for one; null if none came up.
   */
  private Slot working(int planned) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      for (int i = 0; i < slots.size(); i++) {
        Slot slot = slots.get((planned + i) % slots.size());
        slot.lock.lock();
        try {
          if (slot.working()) {
            return slot;
          }
        } finally {
          slot.lock.unlock();
        }
      }
      Thread.sleep(100);
    }
    ChaosRun.log("no worker up for 20s: fault skipped");
    return null;
  }

  /** {@code kill -9} of a working worker, restarted at once under a new consumer name. */
  void kill(int planned) throws IOException, InterruptedException {
    Slot slot = working(planned);
    if (slot == null) {
      return;
    }
    slot.lock.lock();
    try {
      long t = System.currentTimeMillis();
      faults.add(new FaultEvent(Kind.KILL, slot.consumer, t, t));
      slot.process.kill();
      spawn(slot);
    } finally {
      slot.lock.unlock();
    }
  }

  /** {@code SIGSTOP} of a working worker for {@code millis}, then {@code SIGCONT}. */
  void pause(int planned, long millis) throws IOException, InterruptedException {
    Slot slot = working(planned);
    if (slot == null) {
      return;
    }
    WorkerJvm target;
    String consumer;
    long t;
    slot.lock.lock();
    try {
      if (slot.paused != null) {
        return; // paused meanwhile: skip rather than overlap
      }
      target = slot.process;
      consumer = slot.consumer;
      t = System.currentTimeMillis();
      target.pause();
      slot.paused = target;
    } finally {
      slot.lock.unlock();
    }
    Thread.sleep(millis);
    slot.lock.lock();
    try {
      long end = System.currentTimeMillis(); // before the signal: the process may run on at once
      try {
        target.resume();
      } finally {
        if (slot.paused == target) {
          slot.paused = null;
        }
      }
      faults.add(new FaultEvent(Kind.PAUSE, consumer, t, end));
    } finally {
      slot.lock.unlock();
    }
  }

  /** Freezes the slot's proxy for {@code millis}: every incarnation of the slot is cut off meanwhile. */
  void freeze(int index, long millis) throws InterruptedException {
    Slot slot = slots.get(index);
    slot.lock.lock();
    try {
      if (slot.proxy.isFrozen()) {
        return;
      }
      slot.proxy.freeze();
    } finally {
      slot.lock.unlock();
    }
    long t = System.currentTimeMillis();
    Thread.sleep(millis);
    slot.proxy.thaw();
    faults.add(new FaultEvent(Kind.FREEZE, slot.name, t, System.currentTimeMillis()));
  }

  /** Resets every connection of the slot's proxy. */
  void cut(int index) {
    Slot slot = slots.get(index);
    long t = System.currentTimeMillis();
    slot.proxy.cutAll();
    faults.add(new FaultEvent(Kind.CUT, slot.name, t, t));
  }

  /** After the window: every proxy thawed, every worker running (one that died by itself restarted). */
  void heal() throws IOException {
    for (Slot slot : slots) {
      slot.proxy.thaw();
      slot.lock.lock();
      try {
        if (!slot.process.isAlive()) {
          ChaosRun.log("worker " + slot.consumer + " died on its own (exit " + slot.process.exitCode().orElse(-1)
              + "); restarting");
          spawn(slot);
        }
      } finally {
        slot.lock.unlock();
      }
    }
  }

  /** Stops every worker (SIGKILL) and records when, to close their open executions. */
  void stopAll() throws InterruptedException {
    for (Slot slot : slots) {
      slot.lock.lock();
      try {
        long t = System.currentTimeMillis();
        faults.add(new FaultEvent(Kind.STOP, slot.consumer, t, t));
        slot.process.kill();
      } finally {
        slot.lock.unlock();
      }
    }
  }

  @Override
  public void close() {
    for (Slot slot : slots) {
      if (slot.process != null) {
        slot.process.close();
      }
      slot.proxy.close();
    }
  }
}
