package dev.baton.bench;

import dev.baton.BatonClient;
import dev.baton.TaskRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many agent types at once: the same work spread round-robin over 50 agent types, against the same
 * work on one type, for bulk enqueue and for end-to-end no-op tasks (one worker process serving
 * every type, the same handler concurrency per type). The 50-type rows carry {@code vsOneType}.
 * Each agent type is its own stream with its own blocking reader and connection in the worker, so
 * this shows what many readers and smaller batches cost.
 */
final class ManyQueues implements Scenario {
  static final String NAME = "many-queues";

  @Override
  public void run(BenchContext ctx) throws Exception {
    Settings s = ctx.settings;
    List<String> many = new ArrayList<>();
    for (int i = 0; i < s.agentTypes(); i++) {
      many.add(String.format(Locale.ROOT, "agent-%02d", i));
    }
    List<String> one = List.of("agent-00");

    Row bulkOne = bulk(ctx, one);
    Row bulkMany = bulk(ctx, many);
    bulkMany.put("vsOneType", Report.round(bulkMany.number("tasksPerSecond") / bulkOne.number("tasksPerSecond"), 3));
    ctx.report.add(bulkOne);
    ctx.report.add(bulkMany);

    int c = s.manyQueuesConcurrency();
    Row e2eOne = EndToEnd.measure(ctx, NAME, label("end-to-end", 1) + ", concurrency " + c, one, c, 1,
        s.manyQueuesTasks());
    Row e2eMany = EndToEnd.measure(ctx, NAME, label("end-to-end", many.size()) + ", concurrency " + c + " each", many,
        c, 1, s.manyQueuesTasks());
    e2eMany.put("vsOneType", Report.round(e2eMany.number("tasksPerSecond") / e2eOne.number("tasksPerSecond"), 3));
    ctx.report.add(e2eOne);
    ctx.report.add(e2eMany);
  }

  private static String label(String what, int types) {
    return String.format(Locale.ROOT, "%s, %d agent type%s", what, types, types == 1 ? "" : "s");
  }

  /** Bulk enqueue of the scenario's task count, round-robin over {@code agentTypes}, no worker. */
  private static Row bulk(BenchContext ctx, List<String> agentTypes) throws Exception {
    long tasks = ctx.settings.manyQueuesTasks();
    int batch = ctx.settings.bulkBatch();
    String label = label(String.format(Locale.ROOT, "enqueueAll (batches of %,d)", batch), agentTypes.size());
    String prefix = ctx.freshPrefix();
    try (BatonClient client = ctx.client(prefix)) {
      long warmup = Math.max(agentTypes.size(), tasks / 10);
      enqueue(client, agentTypes, warmup, batch, ctx.progress.step(label + ": warm-up", warmup));
      AtomicLong progress = ctx.progress.step(label, tasks);
      CostMeter.Window window = ctx.cost.start();
      long t0 = System.nanoTime();
      enqueue(client, agentTypes, tasks, batch, progress);
      long t1 = System.nanoTime();
      CostMeter.Cost cost = window.stop(tasks);
      Row row = new Row(NAME, label);
      Throughput.put(row, tasks, t1 - t0);
      row.put("agentTypes", agentTypes.size());
      cost.putInto(row.metrics());
      return row;
    } finally {
      ctx.cleanup(prefix);
    }
  }

  private static void enqueue(BatonClient client, List<String> agentTypes, long tasks, int batch, AtomicLong progress) {
    for (long i = 0; i < tasks; i += batch) {
      List<TaskRequest> requests = new ArrayList<>(batch);
      for (long j = i; j < Math.min(tasks, i + batch); j++) {
        requests.add(BenchContext.task(agentTypes.get((int) (j % agentTypes.size())), j));
      }
      client.dispatcher().enqueueAll(requests);
      progress.set(Math.min(tasks, i + batch));
    }
  }
}
