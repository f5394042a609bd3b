package dev.baton.bench;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.TaskRequest;
import dev.baton.testing.HotPathDriver;
import dev.baton.testing.KeyNames;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a task's Redis CPU goes, one hot-path script at a time and without a worker: the tasks are
 * enqueued ({@code enqueue.lua}, 100 per call through {@code enqueueAll}), then read with
 * {@code XREADGROUP COUNT 100} and started ({@code start.lua}, one call per read), then recorded as
 * successes ({@code complete.lua}, {@value #COMPLETE_BATCH} per call, about what a worker at
 * concurrency 100 sends), reading, starting and completing through {@link HotPathDriver}, that is
 * through the worker's own script gateways. Each step is its own cost window. From {@code INFO
 * commandstats}: the microseconds Redis spent in the script calls ({@code evalsha}), in the
 * commands they ran, and the difference, which is the scripts' own cost (running Lua, passing
 * arguments and replies between Lua and Redis, one {@code redis.call} at a time). A last row calibrates that cost: a script that
 * does nothing but {@code HGET} one field, so its Lua time per HGET is what one {@code redis.call}
 * costs beyond its command.
 */
final class HotPathScripts implements Scenario {
  static final String NAME = "scripts";
  static final String AGENT_TYPE = "scripts";
  static final int COMPLETE_BATCH = 30;
  private static final String CONSUMER = "bench-scripts";
  /** Commands of the windows that no script runs: the calls themselves, the read, a first script load. */
  private static final Set<String> NOT_IN_SCRIPTS = Set.of("evalsha", "eval", "xreadgroup", "script|load");
  /** A script that only calls HGET, ARGV[1] times: its time per call less HGET's is one redis.call's own cost. */
  private static final String CALIBRATION =
      "for i = 1, tonumber(ARGV[1]) do redis.call('HGET', KEYS[1], 'st') end return 1";
  private static final int CALIBRATION_CALLS = 1_000;
  private static final Duration RETENTION = Duration.ofDays(7);
  /** The attempt times in the attempt records written: fixed, so every record has the same length. */
  private static final Instant ATTEMPT_STARTED = Instant.ofEpochMilli(1795874815747L);
  private static final Instant ATTEMPT_FINISHED = Instant.ofEpochMilli(1795874815748L);

  @Override
  public void run(BenchContext ctx) throws Exception {
    int n = ctx.settings.e2eTasks();
    String prefix = ctx.freshPrefix();
    KeyNames k = new KeyNames(prefix);
    try (BatonClient client = ctx.client(prefix);
        HotPathDriver driver = new HotPathDriver(
            BatonConfig.builder().redisUri(ctx.redisUri).keyPrefix(prefix).retention(RETENTION).build(), AGENT_TYPE,
            CONSUMER)) {
      client.dispatcher().enqueue(TaskRequest.builder(AGENT_TYPE).payloadJson(BenchContext.payload(-1)).build());
      startAll(driver, 1, new AtomicLong()); // the first task: stream, group and consumer exist before the windows

      AtomicLong progress = ctx.progress.step(String.format(Locale.ROOT, "scripts: enqueue.lua, %,d tasks", n), n);
      CostMeter.Window window = ctx.cost.start();
      int batch = ctx.settings.bulkBatch();
      for (int i = 0; i < n; i += batch) {
        List<TaskRequest> requests = new ArrayList<>(batch);
        for (int j = i; j < Math.min(n, i + batch); j++) {
          requests.add(BenchContext.task(AGENT_TYPE, j));
        }
        client.dispatcher().enqueueAll(requests);
        progress.set(Math.min(n, i + batch));
      }
      ctx.report.add(row("enqueue.lua, 100 tasks per call (enqueueAll)", n, window.stop(n)));

      progress = ctx.progress.step(String.format(Locale.ROOT, "scripts: XREADGROUP + start.lua, %,d tasks", n), n);
      window = ctx.cost.start();
      List<HotPathDriver.Started> held = startAll(driver, n, progress);
      ctx.report.add(row("start.lua, 100 entries per call (after XREADGROUP COUNT 100)", n, window.stop(n)));

      progress = ctx.progress.step(String.format(Locale.ROOT, "scripts: complete.lua, %,d tasks", n), n);
      window = ctx.cost.start();
      for (int i = 0; i < held.size(); i += COMPLETE_BATCH) {
        driver.complete(held.subList(i, Math.min(held.size(), i + COMPLETE_BATCH)), "null", ATTEMPT_STARTED,
            ATTEMPT_FINISHED);
        progress.set(Math.min(n, i + COMPLETE_BATCH));
      }
      ctx.report.add(row("complete.lua, " + COMPLETE_BATCH + " successes per call", n, window.stop(n)));

      // what one redis.call costs beyond its command: a script of nothing but cheap HGETs
      ctx.progress.step(String.format(Locale.ROOT, "scripts: %,d HGETs from Lua", n), n);
      String record = k.task(AGENT_TYPE, held.get(0).taskId());
      ctx.redis.sync().eval(CALIBRATION, ScriptOutputType.INTEGER, new String[] {record}, "10");
      window = ctx.cost.start();
      for (int i = 0; i < n; i += CALIBRATION_CALLS) {
        ctx.redis.sync().eval(CALIBRATION, ScriptOutputType.INTEGER, new String[] {record},
            Integer.toString(Math.min(CALIBRATION_CALLS, n - i)));
      }
      ctx.report.add(row(String.format(Locale.ROOT, "calibration: redis.call('HGET', record, 'st'), %,d per call",
          CALIBRATION_CALLS), n, window.stop(n)));
    } finally {
      ctx.cleanup(prefix);
    }
  }

  /** Reads and starts {@code n} entries, 100 per read and start call. */
  private static List<HotPathDriver.Started> startAll(HotPathDriver driver, int n, AtomicLong progress) {
    List<HotPathDriver.Started> held = new ArrayList<>(n);
    while (held.size() < n) {
      List<HotPathDriver.Started> started = driver.readAndStart(Math.min(100, n - held.size()), Duration.ofSeconds(1));
      if (started.isEmpty()) {
        throw new IllegalStateException("only " + held.size() + " of " + n + " tasks reached the stream");
      }
      held.addAll(started);
      progress.set(held.size());
    }
    return held;
  }

  /**
   * A row with the split of the script calls' time: {@code scriptMicrosPerTask} (evalsha),
   * {@code commandMicrosPerTask} (the commands scripts ran, i.e. everything but evalsha and the
   * harness's own XREADGROUP and script loads) and {@code luaMicrosPerTask} (the difference).
   */
  static Row row(String label, long tasks, CostMeter.Cost cost) {
    Row row = new Row(NAME, label);
    row.put("tasks", tasks);
    double script = cost.redisMicrosPerTaskByName().getOrDefault("evalsha", 0.0)
        + cost.redisMicrosPerTaskByName().getOrDefault("eval", 0.0);
    double commands = 0;
    for (Map.Entry<String, Double> e : cost.redisMicrosPerTaskByName().entrySet()) {
      if (!NOT_IN_SCRIPTS.contains(e.getKey())) {
        commands += e.getValue();
      }
    }
    row.put("scriptMicrosPerTask", Report.round(script, 2));
    row.put("commandMicrosPerTask", Report.round(commands, 2));
    row.put("luaMicrosPerTask", Report.round(script - commands, 2));
    cost.putInto(row.metrics());
    return row;
  }
}
