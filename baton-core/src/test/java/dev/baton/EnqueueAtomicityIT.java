package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testkit.RedisServer;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanIterator;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * F27: Redis is killed (SIGKILL) while a producer pipelines enqueues, and restarted from its AOF.
 * Whatever survived is whole: no stream entry without its record, no record without its entry or
 * delayed member, and every enqueue the producer saw succeed is there.
 */
class EnqueueAtomicityIT {

  @Test
  void aRedisCrashMidEnqueueLeavesNoOrphans() throws Exception {
    Assumptions.assumeTrue(RedisServer.binary() != null || "true".equalsIgnoreCase(System.getenv("CI")),
        "redis-server is not installed");
    String prefix = "atom";
    String q = "atomic";
    try (RedisServer server = RedisServer.start(RedisServer.Persistence.AOF_ALWAYS)) {
      List<String> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger batches = new AtomicInteger();
      AtomicInteger failures = new AtomicInteger();
      BatonConfig config = BatonConfig.builder().redisUri(server.uri()).keyPrefix(prefix)
          .commandTimeout(Duration.ofSeconds(2)).build();
      Thread producer;
      try (BatonClient baton = BatonClient.connect(config)) {
        producer = Thread.ofVirtual().start(() -> {
          int n = 0;
          while (!stop.get()) {
            List<TaskRequest> batch = new ArrayList<>();
            for (int i = 0; i < 200; i++, n++) {
              TaskRequest.Builder b = TaskRequest.builder(q).id("t" + n).payloadJson("{\"n\":" + n + "}");
              if (n % 3 == 0) {
                b.delay(Duration.ofHours(1));
              }
              batch.add(b.build());
            }
            try {
              baton.dispatcher().enqueueAll(batch).forEach(r -> acknowledged.add(r.id()));
              batches.incrementAndGet();
            } catch (BatonException e) {
              failures.incrementAndGet(); // Redis is down: outcome unknown for this batch
            }
          }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> batches.get() >= 5);
        server.kill();
        // the producer keeps trying against the dead server until one of its batches fails
        await().atMost(Duration.ofSeconds(20)).until(() -> failures.get() >= 1);
        stop.set(true);
        producer.join(Duration.ofSeconds(20));
      }
      server.restart();

      RedisClient rc = RedisClient.create(server.uri());
      try (StatefulRedisConnection<String, String> conn = rc.connect()) {
        RedisCommands<String, String> raw = conn.sync();
        Keys k = new Keys(prefix);
        Map<String, Map<String, String>> records = new HashMap<>();
        ScanIterator<String> it = ScanIterator.scan(raw, ScanArgs.Builder.matches(k.task(q, "*")).limit(1000));
        while (it.hasNext()) {
          String key = it.next();
          records.put(key.substring(k.task(q, "").length()), raw.hgetall(key));
        }
        List<StreamMessage<String, String>> entries = raw.xrange(k.stream(q), Range.create("-", "+"));
        Map<String, String> entryOf = new HashMap<>();
        for (StreamMessage<String, String> e : entries) {
          String id = e.getBody().get("t");
          assertThat(records).as("stream entry %s has its record", e.getId()).containsKey(id);
          assertThat(entryOf.put(id, e.getId())).as("one entry per task").isNull();
        }
        for (Map.Entry<String, Map<String, String>> r : records.entrySet()) {
          String id = r.getKey();
          Map<String, String> rec = r.getValue();
          if (rec.get("st").equals("queued")) {
            assertThat(entryOf.get(id)).as("queued task %s has its entry", id).isEqualTo(rec.get("eid"));
          } else {
            assertThat(rec.get("st")).isEqualTo("scheduled");
            assertThat(raw.zscore(k.delayed(q), id)).as("scheduled task %s is in the delayed set", id).isNotNull();
          }
        }
        assertThat(raw.zcard(k.delayed(q))).isEqualTo(records.values().stream()
            .filter(rec -> rec.get("st").equals("scheduled")).count());
        // appendfsync always: every acknowledged enqueue survived the crash
        assertThat(records.keySet()).containsAll(acknowledged);
        assertThat(acknowledged).isNotEmpty();
      } finally {
        rc.shutdown();
      }
    }
  }
}
