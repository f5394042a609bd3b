package dev.baton.bench;

import dev.baton.BatonClient;
import dev.baton.HandlerOptions;
import dev.baton.TaskRequest;
import dev.baton.Worker;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Latency at a fixed arrival rate, with an open-loop generator: task {@code i} is due at
 * {@code t0 + i / rate}; a pacer thread hands each due send to its own virtual thread, so a slow
 * enqueue never delays the next one, and every latency is measured from the intended send time,
 * not from when the send happened (no coordinated omission: a stall shows up in the figures).
 *
 * <p>The worker runs in the harness's JVM, so one monotonic clock ({@link System#nanoTime()})
 * stamps everything: the task id carries {@code i}, from which the handler (start) and the
 * "finished" Pub/Sub listener (finish) derive the intended send time. Tasks of the warm-up are
 * sent the same way and not recorded.
 */
final class Latency implements Scenario {
  static final String NAME = "latency";
  static final String AGENT_TYPE = "latency";
  private static final String ID_PREFIX = "lat-";

  @Override
  public void run(BenchContext ctx) throws Exception {
    Settings s = ctx.settings;
    long period = TimeUnit.SECONDS.toNanos(1) / s.rate();
    long warmupTasks = s.warmup().toNanos() / period;
    long measured = Math.max(1, s.duration().toNanos() / period);
    long total = warmupTasks + measured;
    String label = String.format(Locale.ROOT, "%,d tasks/s for %s s, 1 worker process, concurrency %d", s.rate(),
        Report.fixed(s.duration().toMillis() / 1000.0, 0), s.latencyConcurrency());

    Histogram enqueued = new ConcurrentHistogram(3);
    Histogram started = new ConcurrentHistogram(3);
    Histogram finished = new ConcurrentHistogram(3);
    Histogram late = new ConcurrentHistogram(3);
    AtomicLong failed = new AtomicLong();
    AtomicLong t0 = new AtomicLong(); // the first send's due time; set before any timed task exists

    String prefix = ctx.freshPrefix();
    try (BatonClient client = ctx.client(prefix);
        Completions done = new Completions(ctx.redis, List.of(BenchContext.keys(prefix).finishedChannel(AGENT_TYPE)),
            id -> record(finished, id, t0.get(), period, warmupTasks))) {
      Worker worker = Worker.builder(client)
          .shutdownGrace(Duration.ofSeconds(5))
          .handle(AGENT_TYPE, HandlerOptions.withConcurrency(s.latencyConcurrency()), task -> {
            record(started, task.taskId(), t0.get(), period, warmupTasks);
            return null;
          })
          .build()
          .start();
      try {
        client.dispatcher().enqueue(BenchContext.task(AGENT_TYPE, -1)); // creates the queue before timing
        done.await(1, Duration.ofSeconds(30), new AtomicLong());
        done.reset();

        AtomicLong progress = ctx.progress.step(label + " (first " + Report.fixed(s.warmup().toMillis() / 1000.0, 0)
            + " s warm-up)", total);
        CostMeter.Window window = ctx.cost.start();
        long sent = 0;
        long lastSend;
        try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
          long start = System.nanoTime();
          t0.set(start);
          for (long i = 0; i < total; i++) {
            long due = start + i * period;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
              LockSupport.parkNanos(wait);
            }
            if (i >= warmupTasks) {
              late.recordValue(Math.max(0, (System.nanoTime() - due) / 1000));
            }
            long n = i;
            senders.execute(() -> {
              try {
                client.dispatcher().enqueue(request(n));
                if (n >= warmupTasks) {
                  enqueued.recordValue(micros(System.nanoTime() - (start + n * period)));
                }
              } catch (RuntimeException e) {
                failed.incrementAndGet();
              }
            });
            sent++;
            progress.set(done.count());
          }
          lastSend = System.nanoTime();
        } // waits for every send
        double sendSeconds = (lastSend - (t0.get() + warmupTasks * period)) / 1e9;
        long drain = Math.max(10, s.duration().toSeconds());
        try {
          done.await(total - failed.get(), Duration.ofSeconds(drain), progress);
        } catch (java.util.concurrent.TimeoutException e) {
          ctx.progress.note("latency: " + e.getMessage() + "; the rest count as unfinished");
        }
        CostMeter.Cost cost = window.stop(done.count());

        Row row = new Row(NAME, label);
        row.put("ratePerSecond", s.rate());
        row.put("seconds", s.duration().toMillis() / 1000.0);
        row.put("planned", measured);
        row.put("sent", sent - warmupTasks);
        row.put("achievedRate", Report.round((sent - warmupTasks) / Math.max(sendSeconds, 1e-3), 0));
        row.put("failedEnqueues", failed.get());
        row.put("unfinished", Math.max(0, measured - finished.getTotalCount()));
        row.put("concurrency", s.latencyConcurrency());
        row.put("enqueueMillis", percentiles(enqueued));
        row.put("startMillis", percentiles(started));
        row.put("finishMillis", percentiles(finished));
        row.put("generatorLateP99Millis", Report.round(late.getValueAtPercentile(99) / 1000.0, 3));
        row.put("generatorLateMaxMillis", Report.round(late.getMaxValue() / 1000.0, 3));
        cost.putInto(row.metrics());
        ctx.report.add(row);
      } finally {
        worker.shutdown(Duration.ofSeconds(5));
      }
    } finally {
      ctx.cleanup(prefix);
    }
  }

  private static TaskRequest request(long n) {
    return TaskRequest.builder(AGENT_TYPE).id(ID_PREFIX + n).payloadJson(BenchContext.payload(n)).build();
  }

  /** Records now minus the intended send time of the task with id {@code lat-<n>}, past the warm-up. */
  private static void record(Histogram h, String id, long t0, long period, long warmupTasks) {
    if (!id.startsWith(ID_PREFIX)) {
      return;
    }
    long n = Long.parseLong(id.substring(ID_PREFIX.length()));
    if (n >= warmupTasks) {
      h.recordValue(micros(System.nanoTime() - (t0 + n * period)));
    }
  }

  private static long micros(long nanos) {
    return Math.max(0, nanos / 1000);
  }

  /** count, p50, p95, p99 and max in milliseconds. */
  static Map<String, Object> percentiles(Histogram h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", h.getTotalCount());
    m.put("p50", Report.round(h.getValueAtPercentile(50) / 1000.0, 3));
    m.put("p95", Report.round(h.getValueAtPercentile(95) / 1000.0, 3));
    m.put("p99", Report.round(h.getValueAtPercentile(99) / 1000.0, 3));
    m.put("max", Report.round(h.getMaxValue() / 1000.0, 3));
    return m;
  }
}
