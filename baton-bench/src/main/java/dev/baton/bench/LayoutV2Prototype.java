package dev.baton.bench;

import dev.baton.BatonConfig;
import dev.baton.testing.HotPathV2Driver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What layout 2 of {@code docs/hot-path-v2.md} costs Redis, script by script, without a worker:
 * N tasks are enqueued with {@code v2/enqueue.lua}, 100 per call, then read with a plain {@code
 * XREADGROUP COUNT 100} (a first delivery needs no start script) and recorded as successes with
 * {@code v2/cycle.lua}, 100 per call, through {@link HotPathV2Driver}, that is through the
 * gateways Baton's layout-2 worker uses. Rows: Redis CPU, commands and the Lua share per task for
 * enqueue and for read + record, and Redis memory per waiting task and per finished task (the
 * finished value holds a 100-byte result).
 */
final class LayoutV2Prototype implements Scenario {
  static final String NAME = "layout-v2";
  private static final String AGENT_TYPE = "layout";
  private static final int BATCH = 100;
  private static final String RESULT = BenchContext.payload(0);

  @Override
  public void run(BenchContext ctx) throws Exception {
    int n = ctx.settings.memoryTasks();
    String prefix = ctx.freshPrefix();
    try (HotPathV2Driver driver = new HotPathV2Driver(
        BatonConfig.builder().redisUri(ctx.redisUri).keyPrefix(prefix).build(), AGENT_TYPE, "bench-layout")) {
      enqueue(driver, -1, 1); // stream, group and stats exist before the windows
      driver.complete(driver.read(1, Duration.ofSeconds(1)), RESULT, System.currentTimeMillis());
      Thread.sleep(200);

      long before = ctx.probe.usedMemory();
      AtomicLong progress = ctx.progress.step(String.format(Locale.ROOT, "layout-v2: enqueue, %,d tasks", n), n);
      CostMeter.Window window = ctx.cost.start();
      for (int i = 0; i < n; i += BATCH) {
        enqueue(driver, i, Math.min(BATCH, n - i));
        progress.set(Math.min(n, i + BATCH));
      }
      CostMeter.Cost cost = window.stop(n);
      Thread.sleep(200); // lets the server shrink the query buffer of the last batch
      long waiting = ctx.probe.usedMemory();
      Row row = HotPathScripts.row("enqueue.lua (v2), 100 tasks per call", n, cost);
      row.put("bytesPerWaitingTask", Report.round((waiting - before) / (double) n, 1));
      ctx.report.add(relabel(row));

      progress = ctx.progress.step(String.format(Locale.ROOT, "layout-v2: read + record, %,d tasks", n), n);
      window = ctx.cost.start();
      long done = 0;
      while (done < n) {
        List<HotPathV2Driver.Delivered> batch = driver.read(BATCH, Duration.ofSeconds(1));
        if (batch.isEmpty()) {
          throw new IllegalStateException("layout-v2: only " + done + " of " + n + " tasks were read");
        }
        driver.complete(batch, RESULT, System.currentTimeMillis());
        done += batch.size();
        progress.set(done);
      }
      cost = window.stop(n);
      Thread.sleep(200);
      long finished = ctx.probe.usedMemory();
      row = HotPathScripts.row("XREADGROUP COUNT 100 + cycle.lua (v2), 100 successes per call", n, cost);
      row.put("bytesPerFinishedTask", Report.round((finished - before) / (double) n, 1));
      ctx.report.add(relabel(row));
    } finally {
      ctx.cleanup(prefix);
    }
  }

  private static Row relabel(Row row) {
    Row out = new Row(NAME, row.label());
    out.metrics().putAll(row.metrics());
    return out;
  }

  private static void enqueue(HotPathV2Driver driver, long from, int count) {
    List<String> ids = new ArrayList<>(count);
    List<String> payloads = new ArrayList<>(count);
    for (long j = from; j < from + count; j++) {
      ids.add("m-" + j);
      payloads.add(BenchContext.payload(j));
    }
    driver.enqueue(ids, payloads);
  }
}
