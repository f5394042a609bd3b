package dev.baton.bench;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.TaskRequest;
import dev.baton.testing.KeyNames;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What every scenario shares: the Redis under test, the probes, the report, the progress line and
 * the second worker process. Each case works under a fresh key prefix, deleted afterwards.
 */
final class BenchContext implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  final String redisUri;
  final Settings settings;
  final BenchRedis redis;
  final RedisProbe probe;
  final CostMeter cost;
  final Report report;
  final Progress progress;
  private final String runId = HexFormat.of().formatHex(RANDOM.generateSeed(3));
  private final List<String> prefixes = new ArrayList<>();
  private SecondWorker second;

  BenchContext(String redisUri, Settings settings, BenchRedis redis, Report report, Progress progress) {
    this.redisUri = redisUri;
    this.settings = settings;
    this.redis = redis;
    this.probe = new RedisProbe(redis.sync());
    this.cost = new CostMeter(probe);
    this.report = report;
    this.progress = progress;
  }

  /** A key prefix no other run or case uses: {@code bench-<run>-<n>}. */
  String freshPrefix() {
    String p = "bench-" + runId + "-" + prefixes.size();
    prefixes.add(p);
    return p;
  }

  /** Deletes every key under {@code prefix}. */
  void cleanup(String prefix) {
    redis.deletePrefix(prefix);
  }

  BatonClient client(String prefix) {
    return BatonClient.connect(BatonConfig.builder().redisUri(redisUri).keyPrefix(prefix).build());
  }

  /** The second worker process, started on first use and kept for the rest of the run. */
  SecondWorker secondWorker() throws IOException {
    if (second == null) {
      progress.step("starting a second worker process (JVM)", 0);
      second = SecondWorker.start(redisUri);
    }
    return second;
  }

  static KeyNames keys(String prefix) {
    return new KeyNames(prefix);
  }

  /** A JSON object of exactly {@link Settings#PAYLOAD_BYTES} bytes, different per {@code n}. */
  static String payload(long n) {
    String head = "{\"url\":\"https://example.com/articles/" + n + "\",\"lang\":\"en\",\"pad\":\"";
    String tail = "\"}";
    return head + "x".repeat(Math.max(0, Settings.PAYLOAD_BYTES - head.length() - tail.length())) + tail;
  }

  static TaskRequest task(String agentType, long n) {
    return TaskRequest.builder(agentType).payloadJson(payload(n)).build();
  }

  /** Deletes the keys of every prefix handed out (a safety net for cases that failed half-way). */
  void cleanupAll() {
    for (String p : prefixes) {
      try {
        cleanup(p);
      } catch (RuntimeException e) {
        progress.note("could not delete the keys under " + p + ": " + e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    if (second != null) {
      second.close();
    }
    cleanupAll();
  }
}
