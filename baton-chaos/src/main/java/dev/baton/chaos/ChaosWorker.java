package dev.baton.chaos;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.HandlerOptions;
import dev.baton.RawJson;
import dev.baton.RetryPolicy;
import dev.baton.TaskContext;
import dev.baton.Worker;
import dev.baton.chaos.HistoryEvent.Outcome;
import dev.baton.testing.KeyNames;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A worker process for the chaos suite. It serves one agent type with a short lease and records
 * each execution's start and finish in its own history file (see {@link HistoryEvent}).
 *
 * <p>The handler reads the task's delivery number from Redis (-1 when the task already has another
 * holder or Redis did not answer): on layout 1 from its record (the counter {@code dlv} the start
 * script just set, while {@code own} names this worker); on layout 2 ({@code -Dbaton.layout=2},
 * docs/hot-path-v2.md) from its index value, the delivery's fencing token, while the entry that
 * token names is pending under this worker (see {@link #deliveryV2}). It logs
 * the start, sleeps for the payload's {@code ms}, fails on purpose on attempt 1 when the payload
 * says {@code "fail":1}, logs the finish, and returns {@code {"w":worker,"d":delivery,"a":attempt}}
 * so the checker can tell which execution's write Redis accepted.
 *
 * <p>Arguments, as {@code --name value} pairs: {@code --redis} (a URI, the worker's TCP proxy),
 * {@code --prefix}, {@code --queue}, {@code --consumer}, {@code --history} (file),
 * {@code --concurrency}, {@code --lease-ms}, {@code --recover-ms}, {@code --max-deliveries}. Prints
 * {@code READY} once it fetches. Exits when its parent process exits, so a crashed test leaves no
 * worker behind.
 */
public final class ChaosWorker {
  /** The transitional system property that selects Baton's layout 2 in a JVM ({@code dev.baton.internal.broker.Layout}). */
  public static final String LAYOUT_PROPERTY = "baton.layout";

  /**
   * Layout 2: the task's index value (its fencing token) and, in the same atomic step, the consumer
   * whose pending list holds the entry that token names ('' when none, or the value names no entry).
   * KEYS: index bucket, stream; ARGV: task id, group.
   */
  private static final String HOLDER_V2 = """
      local v = redis.call('HGET', KEYS[1], ARGV[1])
      if not v then return {'', ''} end
      local c, eid = string.sub(v, 1, 1), v
      if c == 'q' or c == 'i' then eid = string.match(v, ',([^,]*)$')
      elseif not string.match(c, '%d') then return {v, ''} end
      local p = redis.call('XPENDING', KEYS[2], ARGV[2], eid, eid, 1)
      if #p == 1 then return {v, p[1][2]} end
      return {v, ''}
      """;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final String consumer;
  private final KeyNames keys;
  private final HistoryWriter history;
  private final StatefulRedisConnection<String, String> probe;

  private ChaosWorker(String consumer, KeyNames keys, HistoryWriter history, StatefulRedisConnection<String, String> probe) {
    this.consumer = consumer;
    this.keys = keys;
    this.history = history;
    this.probe = probe;
  }

  public static void main(String[] argv) throws InterruptedException {
    Map<String, String> a = parse(argv);
    ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
    String consumer = a.get("consumer");
    String queue = a.get("queue");
    HistoryWriter history = new HistoryWriter(Path.of(a.get("history")));
    HandlerOptions options = HandlerOptions.withConcurrency(Integer.parseInt(a.get("concurrency")))
        .lease(Duration.ofMillis(Long.parseLong(a.get("lease-ms"))))
        .maxDeliveries(Integer.parseInt(a.getOrDefault("max-deliveries",
            Integer.toString(HandlerOptions.DEFAULT_MAX_DELIVERIES))))
        .retryPolicy(RetryPolicy.exponential(Duration.ofMillis(200), 2.0, Duration.ofSeconds(2)));
    Worker worker = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    // a supervisor would restart a worker that cannot reach Redis at start (it may be restarting)
    while (worker == null) {
      BatonClient baton = null;
      RedisClient probeClient = null;
      try {
        baton = BatonClient.connect(BatonConfig.builder().redisUri(a.get("redis")).keyPrefix(a.get("prefix")).build());
        RedisURI probeUri = RedisURI.create(a.get("redis"));
        probeUri.setTimeout(Duration.ofSeconds(1));
        probeClient = RedisClient.create(probeUri);
        ChaosWorker self = new ChaosWorker(consumer, new KeyNames(a.get("prefix")), history, probeClient.connect());
        Worker w = Worker.builder(baton)
            .consumerName(consumer)
            .handle(queue, options, self::handle)
            .recoverInterval(Duration.ofMillis(Long.parseLong(a.get("recover-ms"))))
            .shutdownGrace(Duration.ofSeconds(2))
            .build();
        try {
          worker = w.start();
        } catch (RuntimeException e) {
          w.shutdown(Duration.ZERO);
          throw e;
        }
      } catch (RuntimeException e) {
        System.out.println(System.currentTimeMillis() + " START FAILED " + e);
        if (baton != null) {
          baton.close();
        }
        if (probeClient != null) {
          probeClient.shutdown();
        }
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
    Worker started = worker;
    Runtime.getRuntime().addShutdownHook(new Thread(started::close));
    System.out.println(System.currentTimeMillis() + " READY " + consumer + " after "
        + java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() + "ms");
    System.out.flush();
    new CountDownLatch(1).await(); // until killed
  }

  private Object handle(TaskContext ctx) throws Exception {
    long delivery = delivery(ctx);
    history.append(HistoryEvent.start(System.currentTimeMillis(), ctx.taskId(), ctx.attempt(), delivery, consumer));
    Outcome outcome = Outcome.ERROR;
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> payload = ctx.payload(Map.class);
      long ms = ((Number) payload.getOrDefault("ms", 5)).longValue();
      Thread.sleep(ms);
      ctx.throwIfCancelled();
      if (ctx.attempt() == 1 && ((Number) payload.getOrDefault("fail", 0)).intValue() == 1) {
        throw new IllegalStateException("planned failure of attempt 1");
      }
      outcome = Outcome.OK;
      return new RawJson("{\"w\":\"" + consumer + "\",\"d\":" + delivery + ",\"a\":" + ctx.attempt() + "}");
    } catch (InterruptedException | java.util.concurrent.CancellationException e) {
      outcome = Outcome.CANCELLED;
      throw e;
    } finally {
      history.append(HistoryEvent.finish(System.currentTimeMillis(), ctx.taskId(), ctx.attempt(), delivery, consumer,
          outcome));
    }
  }

  /** The record's delivery counter, if the record still names this worker as the running holder. */
  private long delivery(TaskContext ctx) {
    if ("2".equals(System.getProperty(LAYOUT_PROPERTY))) {
      return deliveryV2(ctx);
    }
    try {
      List<KeyValue<String, String>> f = probe.sync().hmget(keys.task(ctx.agentType(), ctx.taskId()), "st", "own", "dlv");
      if ("running".equals(f.get(0).getValueOrElse(null)) && consumer.equals(f.get(1).getValueOrElse(null))) {
        return Long.parseLong(f.get(2).getValue());
      }
    } catch (RuntimeException e) {
      // Redis unreachable through the proxy: the delivery stays unknown
    }
    return -1;
  }

  /**
   * Layout 2: the delivery number of the token this worker holds, or -1. The index value is the
   * token of the task's current delivery: an entry id for the first ({@code 1}), {@code q<n>,...}
   * or {@code i<n>,...} (isolated) for the n-th; every hand-over (release, recovery, claim, retry)
   * writes a new value with a larger n, so n orders the deliveries of a task across workers as the
   * record's {@code dlv} did on layout 1. This worker holds that delivery while the entry the value
   * names is pending under its own consumer: a recovered or released entry sits under a reserved
   * consumer ({@code ~recovered}, {@code ~released}, {@code ~suspect}), a claimed one under its new
   * worker. Both are read in one script, so the value and the owner belong together.
   */
  private long deliveryV2(TaskContext ctx) {
    try {
      String base = keys.stream(ctx.agentType());
      base = base.substring(0, base.length() - "stream".length()); // P:{Q}:
      List<String> r = probe.sync().eval(HOLDER_V2, io.lettuce.core.ScriptOutputType.MULTI,
          new String[] {base + "ix:" + bucketOf(ctx.taskId()), keys.stream(ctx.agentType())}, ctx.taskId(),
          KeyNames.GROUP);
      String value = r.get(0);
      if (!consumer.equals(r.get(1)) || value.isEmpty()) {
        return -1;
      }
      char c = value.charAt(0);
      if (c >= '0' && c <= '9') {
        return 1;
      }
      return Long.parseLong(value.substring(1, value.indexOf(',')));
    } catch (RuntimeException e) {
      // Redis unreachable through the proxy, or a value this worker cannot read: unknown
    }
    return -1;
  }

  /** Layout 2's index bucket of a task: the first 3 hex digits of SHA-1(id) (docs/hot-path-v2.md). */
  static String bucketOf(String id) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-1").digest(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return new String(new char[] {HEX[(d[0] >> 4) & 0xf], HEX[d[0] & 0xf], HEX[(d[1] >> 4) & 0xf]});
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, String> parse(String[] argv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) {
      if (!argv[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value, got " + argv[i]);
      }
      m.put(argv[i].substring(2), argv[i + 1]);
    }
    for (String required : List.of("redis", "prefix", "queue", "consumer", "history", "concurrency", "lease-ms",
        "recover-ms")) {
      if (!m.containsKey(required)) {
        throw new IllegalArgumentException("missing --" + required);
      }
    }
    return m;
  }
}
