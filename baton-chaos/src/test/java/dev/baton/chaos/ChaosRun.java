package dev.baton.chaos;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.QueueStats;
import dev.baton.chaos.FaultEvent.Kind;
import dev.baton.testkit.RedisServer;
import dev.baton.testkit.RedisServer.Persistence;
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
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * One chaos run: a private redis-server with an AOF, a {@link WorkerFleet} of {@link ChaosWorker}
 * JVMs each behind its own {@link dev.baton.testkit.TcpProxy}; tasks enqueued by a {@link
 * TaskProducer} while the {@link FaultPlan} is carried out; then a wait until every task is terminal
 * or the drain deadline passes, and the {@link Checker} over the histories, the faults and the final
 * records.
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
  private final ReentrantLock redisLock = new ReentrantLock();
  private RedisServer redis;
  private BatonClient client;
  private WorkerFleet fleet;
  private TaskProducer producer;
  private String layoutBefore;

  ChaosRun(ChaosSettings settings, Path baseDir) {
    this.s = settings;
    this.dir = baseDir.resolve(settings.name());
  }

  ChaosReport run() throws Exception {
    deleteRecursively(dir);
    Files.createDirectories(dir);
    log("seed " + s.seed() + " (repeat with -Dchaos.seed=" + s.seed() + "); files in " + dir);
    layoutBefore = System.getProperty(ChaosWorker.LAYOUT_PROPERTY);
    if (s.layout() == 2) {
      System.setProperty(ChaosWorker.LAYOUT_PROPERTY, "2"); // read when the producer's client is built
    } else {
      System.clearProperty(ChaosWorker.LAYOUT_PROPERTY);
    }
    log("layout " + s.layout());
    redis = RedisServer.builder().persistence(persistence(s.fsync())).dir(dir.resolve("redis")).start();
    client = BatonClient.connect(BatonConfig.builder().redisUri(redis.uri()).keyPrefix(PREFIX)
        .commandTimeout(Duration.ofSeconds(3)).build());
    fleet = new WorkerFleet(s, dir, WorkerFleet.Launch.prepare(dir, redis.uri(), s.layout()), redis.port(), faults);
    fleet.start();

    Random random = new Random(s.seed());
    List<FaultPlan.Action> plan = FaultPlan.draw(s, random);
    List<TaskProducer.Work> work = TaskProducer.Work.draw(s.tasks(), new Random(random.nextLong()));
    List<String> accepted = Collections.synchronizedList(new ArrayList<>());
    producer = new TaskProducer(s, client, accepted);
    long t0 = System.currentTimeMillis();
    Thread producing = Thread.ofPlatform().name("chaos-enqueue").start(() -> producer.run(work, t0));
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
    producing.join(); // past the window when the workers fell behind: the rest flows without faults
    log("fault window over after " + windowMillis / 1000 + "s with " + inWindow + " tasks enqueued; " + faults.size()
        + " faults injected; " + accepted.size() + " tasks accepted; draining");
    heal();
    drain(accepted.size());
    progress.interrupt();
    long runEnd = System.currentTimeMillis();
    fleet.stopAll();
    List<FaultEvent> all = new ArrayList<>(faults);
    all.sort(Comparator.comparingLong(FaultEvent::startMillis));
    writeFaultLog(all);

    Set<String> acceptedIds = new LinkedHashSet<>(accepted);
    var records = RecordReader.read(redis.uri(), PREFIX, QUEUE, acceptedIds, s.layout());
    List<HistoryEvent> events = new ArrayList<>();
    long torn = readHistories(events);
    var settings = s.display();
    settings.put("duration", (runEnd - t0) / 1000 + "s");
    settings.put("enqueued within the fault window", Integer.toString(inWindow));
    var params = new Checker.Params(s.name(), settings, s.concurrency(), s.leaseMs(), runEnd);
    return Checker.check(params, acceptedIds, records, events, torn, all);
  }

  // ---- faults --------------------------------------------------------------------------------

  private void inject(FaultPlan.Action a, long t0) {
    try {
      sleepUntil(t0 + a.atMillis());
      switch (a.kind()) {
        case KILL -> fleet.kill(a.slot());
        case PAUSE -> fleet.pause(a.slot(), a.durationMillis());
        case FREEZE -> fleet.freeze(a.slot(), a.durationMillis());
        case CUT -> fleet.cut(a.slot());
        case REDIS_CRASH -> crashRedis(a.durationMillis());
        case STOP -> throw new IllegalArgumentException("not a fault");
      }
    } catch (Exception e) {
      log("fault " + a + " failed: " + e);
    }
  }

  /** {@code kill -9} of redis-server; restarted from its AOF after {@code downMillis}. */
  private void crashRedis(long downMillis) throws InterruptedException {
    redisLock.lock();
    try {
      long t = System.currentTimeMillis();
      redis.kill();
      Thread.sleep(downMillis);
      redis.restart(); // same port and AOF
      faults.add(new FaultEvent(Kind.REDIS_CRASH, "", t, System.currentTimeMillis()));
    } finally {
      redisLock.unlock();
    }
  }

  /** After the window: Redis up, every worker running, unpaused and connected. */
  private void heal() throws IOException {
    redisLock.lock();
    try {
      if (!redis.isRunning()) {
        redis.restart();
      }
    } finally {
      redisLock.unlock();
    }
    fleet.heal();
  }

  private static Persistence persistence(String fsync) {
    return switch (fsync) {
      case "always" -> Persistence.AOF_ALWAYS;
      case "everysec" -> Persistence.AOF_EVERYSEC;
      default -> throw new IllegalArgumentException("chaos.fsync: always or everysec, got '" + fsync + "'");
    };
  }

  // ---- progress ------------------------------------------------------------------------------

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
            (System.currentTimeMillis() - t0) / 1000, producer.enqueued(), st.succeeded(), st.dead(), st.queued(),
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

  private void writeFaultLog(List<FaultEvent> sorted) throws IOException {
    StringBuilder b = new StringBuilder();
    sorted.forEach(f -> b.append(f.toLine()));
    Files.writeString(dir.resolve("faults.log"), b.toString());
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.stop();
    }
    if (fleet != null) {
      fleet.close();
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
    if (layoutBefore != null) {
      System.setProperty(ChaosWorker.LAYOUT_PROPERTY, layoutBefore);
    } else {
      System.clearProperty(ChaosWorker.LAYOUT_PROPERTY);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  static void sleepUntil(long epochMillis) {
    long left = epochMillis - System.currentTimeMillis();
    if (left > 0) {
      sleep(left);
    }
  }

  static void sleep(long millis) {
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
