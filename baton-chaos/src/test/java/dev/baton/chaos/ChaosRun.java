package dev.baton.chaos;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.EnqueueResult;
import dev.baton.QueueStats;
import dev.baton.TaskRequest;
import dev.baton.chaos.FaultEvent.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * One chaos run: a private redis-server with an AOF, one {@link ChaosProxy} per worker slot, N
 * {@link ChaosWorker} JVMs behind them; tasks enqueued at a steady rate while the {@link FaultPlan}
 * is carried out; then a wait until every task is terminal or the drain deadline passes, and the
 * {@link Checker} over the histories, the faults and the final records.
 *
 * <p>Everything a run leaves is under {@code dir}: the worker histories and logs, {@code
 * faults.log} and the Redis directory (AOF and log), for post-mortems.
 */
final class ChaosRun implements AutoCloseable {
  static final String QUEUE = "chaos";
  static final String PREFIX = "chaos";

  private final ChaosSettings s;
  private final Path dir;
  private final List<FaultEvent> faults = Collections.synchronizedList(new ArrayList<>());
  private final List<Slot> slots = new ArrayList<>();
  private final ReentrantLock redisLock = new ReentrantLock();
  private final AtomicLong enqueued = new AtomicLong();
  private final AtomicBoolean stopEnqueue = new AtomicBoolean();
  private RedisProcess redis;
  private BatonClient client;
  private WorkerJvm jvm;

  /** A worker position: its proxy stays; its process is replaced after every kill. */
  private final class Slot {
    final String name;
    final ChaosProxy proxy;
    final ReentrantLock lock = new ReentrantLock();
    int generation;
    Process process;
    String consumer;
    long pausedPid = -1;
    long readyAt = -1;

    Slot(String name, ChaosProxy proxy) {
      this.name = name;
      this.proxy = proxy;
    }

    /** The current incarnation printed READY: it fetches tasks. */
    boolean ready() {
      if (readyAt < 0) {
        try {
          Path out = dir.resolve("worker-" + consumer + ".log");
          if (Files.exists(out)) {
            for (String line : Files.readAllLines(out)) {
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

    /** Ready for at least a second: it has had time to take tasks. */
    boolean working() {
      return ready() && System.currentTimeMillis() - readyAt >= 1_000;
    }
  }

  ChaosRun(ChaosSettings settings, Path baseDir) {
    this.s = settings;
    this.dir = baseDir.resolve(settings.name());
  }

  ChaosReport run() throws Exception {
    deleteRecursively(dir);
    Files.createDirectories(dir);
    log("seed " + s.seed() + " (repeat with -Dchaos.seed=" + s.seed() + "); files in " + dir);
    redis = new RedisProcess(dir.resolve("redis"), s.fsync());
    client = BatonClient.connect(BatonConfig.builder().redisUri(redis.uri()).keyPrefix(PREFIX)
        .commandTimeout(Duration.ofSeconds(3)).build());
    jvm = WorkerJvm.prepare(dir, redis.uri());
    for (int i = 1; i <= s.workers(); i++) {
      Slot slot = new Slot("w" + i, new ChaosProxy(redis.port()));
      slots.add(slot);
      spawn(slot);
    }
    for (Slot slot : slots) {
      awaitReady(slot);
    }

    Random random = new Random(s.seed());
    List<FaultPlan.Action> plan = FaultPlan.draw(s, random);
    List<Work> work = Work.draw(s.tasks(), new Random(random.nextLong()));
    long t0 = System.currentTimeMillis();
    List<String> accepted = Collections.synchronizedList(new ArrayList<>());
    Thread producer = Thread.ofPlatform().name("chaos-enqueue").start(() -> enqueueAll(work, t0, accepted));
    List<Thread> injectors = new ArrayList<>();
    for (FaultPlan.Action a : plan) {
      injectors.add(Thread.ofVirtual().name("chaos-fault").start(() -> inject(a, t0)));
    }
    Thread progress = Thread.ofPlatform().daemon().name("chaos-progress").start(() -> progress(t0));
    for (Thread t : injectors) {
      t.join();
    }
    int inWindow = accepted.size();
    long windowMillis = System.currentTimeMillis() - t0;
    producer.join(); // past the window when the workers fell behind: the rest flows without faults
    log("fault window over after " + windowMillis / 1000 + "s with " + inWindow + " tasks enqueued; " + faults.size()
        + " faults injected; " + accepted.size() + " tasks accepted; draining");
    heal();
    drain(accepted.size());
    progress.interrupt();
    long runEnd = System.currentTimeMillis();
    for (Slot slot : slots) {
      stopWorker(slot);
    }
    writeFaultLog();

    Set<String> acceptedIds = new LinkedHashSet<>(accepted);
    var records = RecordReader.read(redis.uri(), PREFIX, QUEUE, acceptedIds);
    List<HistoryEvent> events = new ArrayList<>();
    long torn = readHistories(events);
    List<FaultEvent> all = new ArrayList<>(faults);
    all.sort(Comparator.comparingLong(FaultEvent::startMillis));
    var settings = s.display();
    settings.put("duration", (runEnd - t0) / 1000 + "s");
    settings.put("enqueued within the fault window", Integer.toString(inWindow));
    return Checker.check(new Checker.Params(s.name(), settings, s.concurrency(), s.leaseMs(), runEnd), acceptedIds,
        records,
        events, torn, all);
  }

  // ---- workers -------------------------------------------------------------------------------

  private void spawn(Slot slot) throws IOException {
    slot.generation++;
    slot.consumer = slot.name + "-g" + slot.generation;
    slot.readyAt = -1;
    List<String> cmd = jvm.command(List.of(
        "--redis", slot.proxy.uri(), "--prefix", PREFIX, "--queue", QUEUE, "--consumer", slot.consumer,
        "--history", dir.resolve("history-" + slot.consumer + ".log").toString(),
        "--concurrency", Integer.toString(s.concurrency()), "--lease-ms", Long.toString(s.leaseMs()),
        "--recover-ms", Long.toString(s.recoverMs()), "--max-deliveries", Integer.toString(s.maxDeliveries())));
    slot.process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("worker-" + slot.consumer + ".log").toFile()).start();
  }

  private void awaitReady(Slot slot) throws Exception {
    Path out = dir.resolve("worker-" + slot.consumer + ".log");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (slot.ready()) {
        return;
      }
      if (!slot.process.isAlive()) {
        throw new IllegalStateException("worker " + slot.consumer + " exited: " + Files.readString(out));
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("worker " + slot.consumer + " not ready within 60s");
  }

  private void stopWorker(Slot slot) {
    slot.lock.lock();
    try {
      faults.add(new FaultEvent(Kind.STOP, slot.consumer, System.currentTimeMillis(), System.currentTimeMillis()));
      slot.process.destroyForcibly();
      slot.process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      slot.lock.unlock();
    }
  }

  // ---- faults --------------------------------------------------------------------------------

  private void inject(FaultPlan.Action a, long t0) {
    try {
      sleepUntil(t0 + a.atMillis());
      switch (a.kind()) {
        case KILL -> {
          Slot target = running(a.slot());
          if (target != null) {
            kill(target);
          }
        }
        case PAUSE -> {
          Slot target = running(a.slot());
          if (target != null) {
            pause(target, a.durationMillis());
          }
        }
        case FREEZE -> freeze(slots.get(a.slot()), a.durationMillis());
        case CUT -> cut(slots.get(a.slot()));
        case REDIS_CRASH -> crashRedis(a.durationMillis());
        case STOP -> throw new IllegalArgumentException("not a fault");
      }
    } catch (Exception e) {
      log("fault " + a + " failed: " + e);
    }
  }

  /**
   * The planned slot if its worker is up (READY for a second, not paused), else the next one that
   * is: killing or pausing a JVM that is still starting tests nothing, and on a loaded machine a
   * restarted worker can take several seconds to start. Waits up to 20 s for one; null if none.
   */
  private Slot running(int planned) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      for (int i = 0; i < slots.size(); i++) {
        Slot slot = slots.get((planned + i) % slots.size());
        slot.lock.lock();
        try {
          if (slot.pausedPid == -1 && slot.process.isAlive() && slot.working()) {
            return slot;
          }
        } finally {
          slot.lock.unlock();
        }
      }
      Thread.sleep(100);
    }
    log("no worker up for 20s: fault skipped");
    return null;
  }

  private void kill(Slot slot) throws IOException, InterruptedException {
    slot.lock.lock();
    try {
      long t = System.currentTimeMillis();
      faults.add(new FaultEvent(Kind.KILL, slot.consumer, t, t));
      slot.process.destroyForcibly(); // SIGKILL
      slot.process.waitFor(10, TimeUnit.SECONDS);
      slot.pausedPid = -1;
      spawn(slot);
    } finally {
      slot.lock.unlock();
    }
  }

  private void pause(Slot slot, long millis) throws IOException, InterruptedException {
    long pid;
    String consumer;
    long t;
    slot.lock.lock();
    try {
      if (slot.pausedPid != -1) {
        return; // already paused: skip rather than overlap
      }
      pid = slot.process.pid();
      consumer = slot.consumer;
      t = System.currentTimeMillis();
      signal("STOP", pid);
      slot.pausedPid = pid;
    } finally {
      slot.lock.unlock();
    }
    Thread.sleep(millis);
    slot.lock.lock();
    try {
      long end = System.currentTimeMillis(); // before the signal: the process may run on at once
      signal("CONT", pid);
      if (slot.pausedPid == pid) {
        slot.pausedPid = -1;
      }
      faults.add(new FaultEvent(Kind.PAUSE, consumer, t, end));
    } finally {
      slot.lock.unlock();
    }
  }

  private void freeze(Slot slot, long millis) throws InterruptedException {
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

  private void cut(Slot slot) {
    long t = System.currentTimeMillis();
    slot.proxy.cutAll();
    faults.add(new FaultEvent(Kind.CUT, slot.name, t, t));
  }

  private void crashRedis(long downMillis) throws InterruptedException {
    redisLock.lock();
    try {
      long t = System.currentTimeMillis();
      redis.kill();
      Thread.sleep(downMillis);
      redis.start();
      faults.add(new FaultEvent(Kind.REDIS_CRASH, "", t, System.currentTimeMillis()));
    } finally {
      redisLock.unlock();
    }
  }

  private static void signal(String sig, long pid) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
  }

  /** After the window: every worker running, unpaused and connected, Redis up. */
  private void heal() throws Exception {
    redisLock.lock();
    try {
      if (!redis.isRunning()) {
        redis.start();
      }
    } finally {
      redisLock.unlock();
    }
    for (Slot slot : slots) {
      slot.proxy.thaw();
      slot.lock.lock();
      try {
        if (!slot.process.isAlive()) {
          log("worker " + slot.consumer + " died on its own (exit " + slot.process.exitValue() + "); restarting");
          spawn(slot);
        }
      } finally {
        slot.lock.unlock();
      }
    }
  }

  // ---- tasks ---------------------------------------------------------------------------------

  /**
   * One task's planned work: handler sleep (84 % 2-20 ms, 12 % 50-200 ms, 3.5 % 0.4-1.5 s, 0.5 % 3-6 s,
   * past the lease), and whether attempt 1 fails on purpose (2 %, to exercise retries).
   */
  record Work(String id, long millis, boolean failFirst) {
    static List<Work> draw(int n, Random r) {
      List<Work> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        double x = r.nextDouble();
        long ms = x < 0.84 ? 2 + r.nextInt(19)
            : x < 0.96 ? 50 + r.nextInt(151)
            : x < 0.995 ? 400 + r.nextInt(1101)
            : 3_000 + r.nextInt(3_001); // longer than the lease: kept alive by heartbeats
        out.add(new Work(String.format("t%07d", i), ms, r.nextDouble() < 0.02));
      }
      return out;
    }

    TaskRequest request() {
      return TaskRequest.builder(QUEUE).id(id)
          .payloadJson("{\"ms\":" + millis + ",\"fail\":" + (failFirst ? 1 : 0) + "}").build();
    }
  }

  /**
   * Enqueues in batches of 50 at a steady rate, so the last batch goes out at 80 % of the window,
   * but holds back while more than 4 x workers x concurrency tasks wait in the stream: a task taken
   * over from a dead worker goes to the back of the stream, so a long backlog would measure the
   * backlog, not the recovery (on a loaded machine the workers can fall far behind). A batch that
   * fails (Redis down) is retried with the same ids until it is acknowledged: enqueue is idempotent
   * on the id. A task counts as accepted once an enqueue of it returned.
   */
  private void enqueueAll(List<Work> work, long t0, List<String> accepted) {
    int batch = 50;
    long spread = s.seconds() * 800L;
    long backlogCap = Math.max(100, 4L * s.workers() * s.concurrency());
    for (int from = 0; from < work.size() && !stopEnqueue.get(); from += batch) {
      List<Work> chunk = work.subList(from, Math.min(work.size(), from + batch));
      sleepUntil(t0 + spread * from / Math.max(1, work.size()));
      while (!stopEnqueue.get() && backlog() > backlogCap) {
        sleep(100);
      }
      while (!stopEnqueue.get()) {
        try {
          List<EnqueueResult> results = client.dispatcher().enqueueAll(chunk.stream().map(Work::request).toList());
          results.forEach(r -> accepted.add(r.id()));
          enqueued.addAndGet(results.size());
          break;
        } catch (RuntimeException e) {
          sleep(200); // unknown outcome: the same ids again
        }
      }
    }
  }

  /** Tasks waiting in the stream; 0 when Redis cannot be asked (the enqueue then finds out). */
  private long backlog() {
    try {
      return client.inspector().stats(QUEUE).queued();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private void drain(int accepted) throws InterruptedException {
    long deadline = System.currentTimeMillis() + s.drainSeconds() * 1000L;
    while (System.currentTimeMillis() < deadline) {
      try {
        QueueStats st = client.inspector().stats(QUEUE);
        if (st.succeeded() + st.dead() + st.cancelled() >= accepted && st.running() == 0 && st.queued() == 0) {
          return;
        }
      } catch (RuntimeException e) {
        // Redis restarting: look again
      }
      Thread.sleep(250);
    }
    log("drain deadline passed: not every task is terminal");
  }

  private void progress(long t0) {
    while (true) {
      try {
        Thread.sleep(10_000);
        QueueStats st = client.inspector().stats(QUEUE);
        log(String.format("+%ds enqueued %d, succeeded %d, dead %d, queued %d, running %d, delayed %d; %d faults",
            (System.currentTimeMillis() - t0) / 1000, enqueued.get(), st.succeeded(), st.dead(), st.queued(),
            st.running(), st.delayed(), faults.size()));
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log("progress: " + e.getMessage());
      }
    }
  }

  // ---- files ---------------------------------------------------------------------------------

  private long readHistories(List<HistoryEvent> into) throws IOException {
    long torn = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().startsWith("history-")).sorted().toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          var e = HistoryEvent.parse(line);
          if (e.isPresent()) {
            into.add(e.get());
          } else if (!line.isBlank()) {
            torn++;
          }
        }
      }
    }
    return torn;
  }

  private void writeFaultLog() throws IOException {
    List<FaultEvent> all = new ArrayList<>(faults);
    all.sort(Comparator.comparingLong(FaultEvent::startMillis));
    StringBuilder b = new StringBuilder();
    all.forEach(f -> b.append(f.toLine()));
    Files.writeString(dir.resolve("faults.log"), b.toString());
  }

  @Override
  public void close() {
    stopEnqueue.set(true);
    for (Slot slot : slots) {
      if (slot.process != null) {
        slot.process.destroyForcibly();
      }
      slot.proxy.close();
    }
    if (client != null) {
      try {
        client.close();
      } catch (RuntimeException e) {
        // closing
      }
    }
    if (redis != null) {
      redis.close();
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void sleepUntil(long epochMillis) {
    long left = epochMillis - System.currentTimeMillis();
    if (left > 0) {
      sleep(left);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static void log(String msg) {
    System.out.println("[chaos " + java.time.LocalTime.now().withNano(0) + "] " + msg);
    System.out.flush();
  }

  private static void deleteRecursively(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> files = Files.walk(p)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
