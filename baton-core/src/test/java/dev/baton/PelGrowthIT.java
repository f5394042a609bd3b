package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.TestJvms;
import dev.baton.testing.WorkerMain;
import dev.baton.testkit.WorkerJvm;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * F17: the pending entries list and the consumer list stay bounded while workers are killed again
 * and again. Two worker JVMs (concurrency 4, lease 1 s, consumer idle limit 3 s) work through a
 * steady flow of short tasks that outpaces them (a backlog builds up); every 1.2 s one is killed
 * with SIGKILL and a fresh one started in its place, ten times. A sampler reads {@code XINFO
 * CONSUMERS} every 50 ms throughout. The replacement starts at once and the loop goes on without
 * waiting for it to be ready; the next victim is always a worker that is up and fetching.
 *
 * <p>Pass: no consumer ever holds more entries than its concurrency, however long the backlog;
 * after the kills the PEL drains to zero with every task succeeded; and the consumers of the killed
 * workers are deleted once they hold nothing (only live workers' consumers remain).
 *
 * <p>Protections checked: a worker reads only as many entries as it has free handler slots (else
 * its pending count grows with the backlog); recovery of a dead consumer's entries (else each kill
 * leaves up to four entries pending forever); pruning of idle consumers that hold nothing (else one
 * consumer per restart piles up in the group).
 *
 * <p>Runs beside the other test classes ({@code @Execution(CONCURRENT)}): its checks are bounds on
 * state, not on time, and most of its run is the real kill cadence.
 */
@Execution(ExecutionMode.CONCURRENT)
class PelGrowthIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "soak";
  private static final int CONCURRENCY = 4;
  private static final int WORKERS = 2;
  private static final int KILLS = 10;
  private static final String LEASE_MS = "1000";
  private static final String IDLE_LIMIT_MS = "3000";

  private record Sample(long atNanos, Map<String, Long> pendingByConsumer) {
    long total() {
      return pendingByConsumer.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  @Test
  void pendingEntriesAndConsumersStayBoundedUnderRepeatedKills() throws Exception {
    BatonClient baton = redis.client();
    RedisCommands<String, String> raw = redis.raw();
    Keys k = new Keys(redis.prefix());
    List<String> ids = new CopyOnWriteArrayList<>();
    // the group exists before any worker reads, so the first enqueues are not missed
    ids.add(baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id());

    List<WorkerJvm> live = new ArrayList<>();
    Set<String> killedConsumers = new HashSet<>();
    for (int i = 0; i < WORKERS; i++) {
      live.add(startWorker());
    }
    for (WorkerJvm w : live) {
      awaitReady(w);
    }
    List<Sample> samples = new CopyOnWriteArrayList<>();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger samplerErrors = new AtomicInteger();
    Thread sampler = Thread.ofPlatform().name("pel-sampler").start(() -> {
      while (running.get()) {
        try {
          samples.add(new Sample(System.nanoTime(), pendingByConsumer(raw, k)));
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          samplerErrors.incrementAndGet();
        }
      }
    });
    Thread producer = Thread.ofPlatform().name("soak-producer").start(() -> {
      int n = 0;
      while (running.get()) {
        List<TaskRequest> batch = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
          batch.add(TaskRequest.builder(Q).payloadJson("{\"n\":" + n++ + "}").build());
        }
        baton.dispatcher().enqueueAll(batch).forEach(r -> ids.add(r.id()));
        try {
          Thread.sleep(500); // ~120 tasks/s: more than two workers with four 20-80 ms slots each finish
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    Random random = new Random(17);
    try {
      for (int kill = 0; kill < KILLS; kill++) {
        Thread.sleep(1200); // the kill cadence: real processes, real time
        // a worker that is up (its replacement from the last round may still be starting)
        await().atMost(Duration.ofSeconds(30)).until(() -> live.stream().anyMatch(PelGrowthIT::isReady));
        List<WorkerJvm> ready = live.stream().filter(PelGrowthIT::isReady).toList();
        WorkerJvm victim = ready.get(random.nextInt(ready.size()));
        live.remove(victim);
        killedConsumers.add(victim.value("CONSUMER ").orElseThrow());
        victim.kill();
        live.add(startWorker());
      }
      running.set(false);
      producer.join();
      sampler.join();
      for (WorkerJvm w : live) {
        awaitReady(w);
      }

      // every task ends succeeded; the PEL drains
      await().atMost(Duration.ofSeconds(60)).until(() -> baton.inspector().stats(Q).succeeded() >= ids.size());
      for (String id : ids) {
        assertThat(baton.inspector().task(id).state()).as("task %s", id).isEqualTo(TaskState.SUCCEEDED);
      }
      assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();

      // the killed workers' consumers are gone (they held nothing once their entries were recovered)
      await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(pendingByConsumer(raw, k).keySet()).doesNotContainAnyElementsOf(killedConsumers));
      Set<String> liveConsumers = new HashSet<>();
      live.forEach(w -> liveConsumers.add(w.value("CONSUMER ").orElseThrow()));
      assertThat(liveConsumers).doesNotContainAnyElementsOf(killedConsumers);
      assertThat(pendingByConsumer(raw, k).keySet()).isSubsetOf(liveConsumers);

      // throughout: no consumer ever held more than its concurrency
      assertThat(samples).hasSizeGreaterThan(100);
      assertThat(samplerErrors.get()).isZero();
      long maxPerConsumer = 0;
      long maxTotal = 0;
      int maxConsumers = 0;
      for (Sample s : samples) {
        for (Map.Entry<String, Long> e : s.pendingByConsumer().entrySet()) {
          assertThat(e.getValue()).as("pending of consumer %s", e.getKey()).isLessThanOrEqualTo(CONCURRENCY);
          maxPerConsumer = Math.max(maxPerConsumer, e.getValue());
        }
        maxTotal = Math.max(maxTotal, s.total());
        maxConsumers = Math.max(maxConsumers, s.pendingByConsumer().size());
      }
      // the backlog was real: the producer outpaced the workers at some point
      assertThat(ids.size()).isGreaterThan(500);
      System.out.printf("PelGrowthIT: %d tasks, %d kills, %d samples; max pending per consumer %d, max PEL %d, "
              + "max consumers %d, consumers at the end %d%n",
          ids.size(), KILLS, samples.size(), maxPerConsumer, maxTotal, maxConsumers,
          pendingByConsumer(raw, k).size());
    } finally {
      running.set(false);
      producer.interrupt();
      sampler.interrupt();
      live.forEach(WorkerJvm::kill);
    }
  }

  /** Starts a worker JVM without waiting for it to be ready. */
  private static WorkerJvm startWorker() throws Exception {
    return TestJvms.start(WorkerMain.class, redis.uri(), redis.prefix(), Q, Integer.toString(CONCURRENCY),
        LEASE_MS, "quick", IDLE_LIMIT_MS);
  }

  private static boolean isReady(WorkerJvm w) {
    return w.isAlive() && w.marker("READY").isPresent();
  }

  private static void awaitReady(WorkerJvm w) {
    await().atMost(Duration.ofSeconds(30)).until(() -> w.marker("READY").isPresent() || !w.isAlive());
    assertThat(w.isAlive()).as("worker started: %s", w.log()).isTrue();
  }

  /** Consumer name → entries it holds, from XINFO CONSUMERS. */
  private static Map<String, Long> pendingByConsumer(RedisCommands<String, String> raw, Keys k) {
    Map<String, Long> out = new HashMap<>();
    for (Object c : raw.xinfoConsumers(k.stream(Q), Keys.GROUP)) {
      List<?> fields = (List<?>) c;
      String name = null;
      long pending = 0;
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        String f = String.valueOf(fields.get(i));
        if (f.equals("name")) {
          name = String.valueOf(fields.get(i + 1));
        } else if (f.equals("pending")) {
          pending = ((Number) fields.get(i + 1)).longValue();
        }
      }
      out.put(name, pending);
    }
    return out;
  }
}
