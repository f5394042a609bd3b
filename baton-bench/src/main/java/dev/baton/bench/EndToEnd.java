package dev.baton.bench;

import dev.baton.BatonClient;
import dev.baton.HandlerOptions;
import dev.baton.TaskRequest;
import dev.baton.Worker;
import dev.baton.testing.KeyNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end throughput of no-op tasks: workers run, the harness enqueues the tasks in
 * {@code enqueueAll} batches, and the time runs from the first enqueue to the last completion
 * (the last task id published on a "finished" channel). Every handler concurrency is run with one
 * worker process (the harness's own JVM, which also enqueues) and with two (plus a second JVM);
 * the concurrency is per process. Each case first runs a tenth of its tasks as a warm-up.
 */
final class EndToEnd implements Scenario {
  static final String NAME = "end-to-end";
  static final String AGENT_TYPE = "noop";

  @Override
  public void run(BenchContext ctx) throws Exception {
    for (int concurrency : ctx.settings.concurrencies()) {
      for (int processes : ctx.settings.processes()) {
        String label = String.format(Locale.ROOT, "concurrency %d, %d worker process%s", concurrency, processes,
            processes == 1 ? "" : "es");
        ctx.report.add(measure(ctx, NAME, label, List.of(AGENT_TYPE), concurrency, processes, ctx.settings.e2eTasks()));
      }
    }
  }

  /** One end-to-end case over {@code agentTypes} (tasks spread round-robin); returns its row. */
  static Row measure(BenchContext ctx, String scenario, String label, List<String> agentTypes, int concurrency,
      int processes, long tasks) throws Exception {
    String prefix = ctx.freshPrefix();
    KeyNames keys = BenchContext.keys(prefix);
    List<String> channels = agentTypes.stream().map(keys::finishedChannel).toList();
    SecondWorker second = processes > 1 ? ctx.secondWorker() : null;
    try (BatonClient client = ctx.client(prefix); Completions done = new Completions(ctx.redis, channels, null)) {
      ctx.progress.step(label + ": starting workers", 0);
      Worker.Builder builder = Worker.builder(client).shutdownGrace(Duration.ofSeconds(5));
      HandlerOptions options = HandlerOptions.withConcurrency(concurrency);
      for (String type : agentTypes) {
        builder.handle(type, options, task -> null);
      }
      Worker worker = builder.build().start();
      try {
        if (second != null) {
          second.serve(prefix, agentTypes, concurrency);
        }
        long warmup = ctx.settings.e2eWarmup();
        AtomicLong warmProgress = ctx.progress.step(label + ": warm-up", warmup);
        produce(ctx, client, agentTypes, warmup, done, warmProgress);
        done.await(warmup, ctx.settings.completionTimeout(warmup), warmProgress);
        done.reset();

        AtomicLong progress = ctx.progress.step(label, tasks);
        CostMeter.Window window = ctx.cost.start(second == null ? List.of() : List.of(second::cpu));
        long t0 = System.nanoTime();
        produce(ctx, client, agentTypes, tasks, done, progress);
        long t1 = done.await(tasks, ctx.settings.completionTimeout(tasks), progress);
        CostMeter.Cost cost = window.stop(tasks);

        Row row = new Row(scenario, label);
        Throughput.put(row, tasks, t1 - t0);
        row.put("concurrency", concurrency);
        row.put("workerProcesses", processes);
        row.put("agentTypes", agentTypes.size());
        cost.putInto(row.metrics());
        return row;
      } finally {
        worker.shutdown(Duration.ofSeconds(5));
        if (second != null) {
          second.stop();
        }
      }
    } finally {
      ctx.cleanup(prefix);
    }
  }

  /** Enqueues {@code tasks} no-op tasks round-robin over the agent types, in bulk batches. */
  private static void produce(BenchContext ctx, BatonClient client, List<String> agentTypes, long tasks,
      Completions done, AtomicLong progress) {
    int batch = ctx.settings.bulkBatch();
    for (long i = 0; i < tasks; i += batch) {
      List<TaskRequest> requests = new ArrayList<>(batch);
      for (long j = i; j < Math.min(tasks, i + batch); j++) {
        requests.add(BenchContext.task(agentTypes.get((int) (j % agentTypes.size())), j));
      }
      client.dispatcher().enqueueAll(requests);
      progress.set(done.count());
    }
  }
}
