package dev.baton.testing;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.resilience.ConcurrencyLimit;
import dev.baton.resilience.ConcurrencyLimiter;
import dev.baton.resilience.RateLimit;
import dev.baton.resilience.RateLimiter;
import dev.baton.RedisUnavailableException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * A process that hammers one fleet-wide limit from several threads, for the cross-process limit
 * tests. Every time it records is Redis time, taken from the limiter's replies.
 *
 * <ul>
 *   <li>{@code rate <uri> <prefix> <name> <budget> <interval-ms> <threads> <run-ms> <seed> <out>}:
 *       each thread reserves 10-150 units, "calls" for 5-40 ms, then reconciles 50-130 % of its
 *       estimate; a refused thread sleeps its retry-after. Writes one line per granted call to
 *       {@code out}: {@code grantedAt estimate actual reconciledAt applied}.
 *   <li>{@code permits <uri> <prefix> <name> <permits> <lease-ms> <threads> <max-run-ms> <seed> <out>
 *       <stop-file>}: until {@code stop-file} exists (or {@code max-run-ms} passed), each thread
 *       acquires a permit, holds it 20-80 ms (renewing it once midway) and releases it.
 *       Writes one line per hold: {@code grantedAt heldUntil released}, where {@code heldUntil} is
 *       the Redis time read just before the release.
 *   <li>{@code hog <uri> <prefix> <name> <permits> <lease-ms> <threads>}: each thread acquires one
 *       permit and keeps it without renewing, printing {@code HELD <grantedAt> <expiresAt>}; the
 *       test kills the process with SIGKILL.
 * </ul>
 *
 * <p>Prints {@code READY} when its limiter is set up and {@code DONE <lines>} after writing {@code
 * out}.
 */
public final class LimitsMain {
  private static volatile boolean stopped;

  private LimitsMain() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    BatonClient baton = BatonClient.connect(BatonConfig.builder().redisUri(args[1]).keyPrefix(args[2]).build());
    String name = args[3];
    int threads = Integer.parseInt(args[6]);
    Queue<String> lines = new ConcurrentLinkedQueue<>();
    List<Thread> workers = new ArrayList<>();
    switch (mode) {
      case "rate" -> {
        RateLimiter limiter = baton.rateLimiter(name,
            RateLimit.units(Long.parseLong(args[4]), Duration.ofMillis(Long.parseLong(args[5]))));
        long end = System.nanoTime() + Duration.ofMillis(Long.parseLong(args[7])).toNanos();
        long seed = Long.parseLong(args[8]);
        marker("READY");
        for (int i = 0; i < threads; i++) {
          Random rnd = new Random(seed * 31 + i);
          workers.add(Thread.ofPlatform().start(() -> rateLoop(limiter, rnd, end, lines)));
        }
        finish(workers, lines, Path.of(args[9]));
      }
      case "permits" -> {
        ConcurrencyLimit limit = ConcurrencyLimit.of(Integer.parseInt(args[4]))
            .withLease(Duration.ofMillis(Long.parseLong(args[5]))).withRetryInterval(Duration.ofMillis(20));
        ConcurrencyLimiter limiter = baton.concurrencyLimiter(name, limit);
        long end = System.nanoTime() + Duration.ofMillis(Long.parseLong(args[7])).toNanos();
        long seed = Long.parseLong(args[8]);
        Path stop = Path.of(args[10]);
        Thread.ofPlatform().daemon().start(() -> {
          while (!Files.exists(stop)) {
            sleep(50);
          }
          stopped = true;
        });
        RedisClient rc = RedisClient.create(args[1]);
        StatefulRedisConnection<String, String> conn = rc.connect();
        marker("READY");
        for (int i = 0; i < threads; i++) {
          Random rnd = new Random(seed * 31 + i);
          workers.add(Thread.ofPlatform().start(() -> permitLoop(limiter, conn.sync(), rnd, end, lines)));
        }
        finish(workers, lines, Path.of(args[9]));
      }
      case "hog" -> {
        ConcurrencyLimit limit = ConcurrencyLimit.of(Integer.parseInt(args[4]))
            .withLease(Duration.ofMillis(Long.parseLong(args[5]))).withRetryInterval(Duration.ofMillis(10));
        ConcurrencyLimiter limiter = baton.concurrencyLimiter(name, limit);
        marker("READY");
        for (int i = 0; i < threads; i++) {
          Thread.ofPlatform().start(() -> hog(limiter));
        }
        new CountDownLatch(1).await(); // until killed
      }
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
    System.exit(0);
  }

  private static void rateLoop(RateLimiter limiter, Random rnd, long end, Queue<String> lines) {
    while (System.nanoTime() < end) {
      try {
        long estimate = 10 + rnd.nextInt(141);
        RateLimiter.Reservation r = limiter.reserve(estimate);
        if (!r.granted()) {
          sleep(Math.min(r.retryAfter().toMillis(), 1000) + rnd.nextInt(10));
          continue;
        }
        sleep(5 + rnd.nextInt(36));
        long actual = Math.round(estimate * (0.5 + rnd.nextDouble() * 0.8));
        RateLimiter.Reconciliation c = limiter.reconcile(r, actual);
        lines.add(r.at().toEpochMilli() + " " + estimate + " " + actual + " " + c.at().toEpochMilli() + " "
            + c.applied());
      } catch (RedisUnavailableException e) {
        System.err.println("redis unavailable: " + e.getMessage());
        sleep(100);
      }
    }
  }

  private static void permitLoop(
      ConcurrencyLimiter limiter, RedisCommands<String, String> redis, Random rnd, long end, Queue<String> lines) {
    long lease = limiter.limit().lease().toMillis();
    while (!stopped && System.nanoTime() < end) {
      ConcurrencyLimiter.Permit p = limiter.acquire();
      if (!p.granted()) {
        sleep(p.retryAfter().toMillis() + rnd.nextInt(5));
        continue;
      }
      long grantedAt = p.expiresAt().toEpochMilli() - lease;
      sleep(10 + rnd.nextInt(31));
      p = limiter.renew(p);
      sleep(10 + rnd.nextInt(31));
      List<String> time = redis.time();
      long heldUntil = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
      boolean released = limiter.release(p);
      lines.add(grantedAt + " " + heldUntil + " " + released);
    }
  }

  private static void hog(ConcurrencyLimiter limiter) {
    long lease = limiter.limit().lease().toMillis();
    while (true) {
      ConcurrencyLimiter.Permit p = limiter.acquire();
      if (p.granted()) {
        marker("HELD " + (p.expiresAt().toEpochMilli() - lease) + " " + p.expiresAt().toEpochMilli());
        return; // keeps it: never renewed, never released
      }
      sleep(p.retryAfter().toMillis());
    }
  }

  private static void finish(List<Thread> workers, Queue<String> lines, Path out) throws InterruptedException, IOException {
    for (Thread t : workers) {
      t.join();
    }
    Files.write(out, lines);
    marker("DONE " + lines.size());
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(Math.max(0, ms));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static synchronized void marker(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
