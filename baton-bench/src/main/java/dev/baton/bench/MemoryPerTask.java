package dev.baton.bench;

import dev.baton.BatonClient;
import dev.baton.TaskRequest;
import dev.baton.testing.KeyNames;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Redis memory per waiting task: {@code used_memory} before and after enqueuing N tasks with a
 * 100-byte JSON payload and no worker, divided by N. One task is enqueued first so that the
 * per-queue structures (stream, consumer group, counters) are not charged to the tasks. Also shows
 * {@code MEMORY USAGE} of one task record and of the stream per entry, to tell where it goes.
 */
final class MemoryPerTask implements Scenario {
  static final String NAME = "memory";
  static final String AGENT_TYPE = "memory";

  @Override
  public void run(BenchContext ctx) throws Exception {
    int n = ctx.settings.memoryTasks();
    String prefix = ctx.freshPrefix();
    KeyNames keys = BenchContext.keys(prefix);
    try (BatonClient client = ctx.client(prefix)) {
      client.dispatcher().enqueue(request(-1));
      Thread.sleep(200);
      long before = ctx.probe.usedMemory();
      AtomicLong progress = ctx.progress.step(String.format(Locale.ROOT, "memory: enqueuing %,d waiting tasks", n), n);
      int batch = ctx.settings.bulkBatch();
      for (int i = 0; i < n; i += batch) {
        List<TaskRequest> requests = new ArrayList<>(batch);
        for (int j = i; j < Math.min(n, i + batch); j++) {
          requests.add(request(j));
        }
        client.dispatcher().enqueueAll(requests);
        progress.set(Math.min(n, i + batch));
      }
      Thread.sleep(200); // lets the server shrink the query buffer of the last batch
      long after = ctx.probe.usedMemory();
      Row row = new Row(NAME, String.format(Locale.ROOT, "%,d queued tasks, 100-byte payload", n));
      row.put("tasks", n);
      row.put("bytesPerTask", Report.round((after - before) / (double) n, 1));
      String record = keys.task(AGENT_TYPE, "m-0");
      row.put("taskRecordBytes", memoryUsage(ctx, record));
      row.put("taskRecordEncoding", ctx.redis.sync().objectEncoding(record));
      row.put("streamBytesPerEntry", Report.round(memoryUsage(ctx, keys.stream(AGENT_TYPE)) / (double) (n + 1), 1));
      row.put("usedMemoryBefore", before);
      row.put("usedMemoryAfter", after);
      ctx.report.add(row);
    } finally {
      ctx.cleanup(prefix);
    }
  }

  private static TaskRequest request(long n) {
    return TaskRequest.builder(AGENT_TYPE).id("m-" + n).payloadJson(BenchContext.payload(n)).build();
  }

  /** {@code MEMORY USAGE key SAMPLES 0}: exact, all elements counted. */
  private static long memoryUsage(BenchContext ctx, String key) {
    Long bytes = ctx.redis.sync().dispatch(CommandType.MEMORY, new IntegerOutput<>(StringCodec.UTF8),
        new CommandArgs<>(StringCodec.UTF8).add("USAGE").addKey(key).add("SAMPLES").add(0));
    return bytes == null ? 0 : bytes;
  }
}
