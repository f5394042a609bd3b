package dev.baton.bench;

import dev.baton.BatonClient;
import dev.baton.Dispatcher;
import dev.baton.TaskRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Enqueue throughput with no worker running: single {@code enqueue} calls from one producer and
 * from N concurrent producers (virtual threads sharing one client, as an application would), and
 * bulk {@code enqueueAll}. Each case gets a warm-up of a tenth of its tasks, then is timed from the
 * first call to the last reply.
 */
final class EnqueueThroughput implements Scenario {
  static final String NAME = "enqueue";
  static final String AGENT_TYPE = "enqueue-bench";

  @Override
  public void run(BenchContext ctx) throws Exception {
    Settings s = ctx.settings;
    single(ctx, 1);
    single(ctx, s.producers());
    bulk(ctx, s.bulkBatch());
  }

  private static void single(BenchContext ctx, int producers) throws Exception {
    String label = String.format(Locale.ROOT, "enqueue, %d producer%s", producers, producers == 1 ? "" : "s");
    measure(ctx, label, (dispatcher, tasks, progress) -> {
      AtomicLong next = new AtomicLong();
      try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
        List<Future<?>> running = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
          running.add(threads.submit(() -> {
            long i;
            while ((i = next.getAndIncrement()) < tasks) {
              dispatcher.enqueue(BenchContext.task(AGENT_TYPE, i));
              progress.incrementAndGet();
            }
            return null;
          }));
        }
        for (Future<?> f : running) {
          f.get();
        }
      }
    });
  }

  private static void bulk(BenchContext ctx, int batch) throws Exception {
    String label = String.format(Locale.ROOT, "enqueueAll, batches of %,d, 1 producer", batch);
    measure(ctx, label, (dispatcher, tasks, progress) -> {
      for (long i = 0; i < tasks; i += batch) {
        List<TaskRequest> requests = new ArrayList<>(batch);
        for (long j = i; j < Math.min(tasks, i + batch); j++) {
          requests.add(BenchContext.task(AGENT_TYPE, j));
        }
        dispatcher.enqueueAll(requests);
        progress.addAndGet(requests.size());
      }
    });
  }

  interface Producer {
    void produce(Dispatcher dispatcher, long tasks, AtomicLong progress) throws Exception;
  }

  private static void measure(BenchContext ctx, String label, Producer producer) throws Exception {
    long tasks = ctx.settings.enqueueTasks();
    String prefix = ctx.freshPrefix();
    try (BatonClient client = ctx.client(prefix)) {
      long warmup = Math.max(100, tasks / 10);
      producer.produce(client.dispatcher(), warmup, ctx.progress.step(label + ": warm-up", warmup));
      AtomicLong progress = ctx.progress.step(label, tasks);
      CostMeter.Window window = ctx.cost.start();
      long t0 = System.nanoTime();
      producer.produce(client.dispatcher(), tasks, progress);
      long t1 = System.nanoTime();
      CostMeter.Cost cost = window.stop(tasks);
      Row row = new Row(NAME, label);
      Throughput.put(row, tasks, t1 - t0);
      cost.putInto(row.metrics());
      ctx.report.add(row);
    } finally {
      ctx.cleanup(prefix);
    }
  }
}
