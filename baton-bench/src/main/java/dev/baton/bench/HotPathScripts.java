package dev.baton.bench;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.TaskRequest;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import dev.baton.internal.codec.WireFormat;
import io.lettuce.core.Consumer;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
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
 * concurrency 100 sends). Each step is its own cost window. From {@code INFO commandstats}: the
 * microseconds Redis spent in the script calls ({@code evalsha}), in the commands they ran, and
 * the difference, which is the scripts' own cost (running Lua, passing arguments and replies between
 * Lua and Redis, one {@code redis.call} at a time). A last row calibrates that cost: a script that
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
  private static final long RETENTION_MS = Duration.ofDays(7).toMillis();

  @Override
  public void run(BenchContext ctx) throws Exception {
    int n = ctx.settings.e2eTasks();
    String prefix = ctx.freshPrefix();
    Keys k = new Keys(prefix);
    try (BatonClient client = ctx.client(prefix);
        RedisBroker broker = new RedisBroker(BatonConfig.builder().redisUri(ctx.redisUri).keyPrefix(prefix).build())) {
      client.dispatcher().enqueue(TaskRequest.builder(AGENT_TYPE).payloadJson(BenchContext.payload(-1)).build());
      startAll(ctx, broker, k, 1, new AtomicLong()); // the first task: stream, group and consumer exist before the windows

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
      List<String[]> held = startAll(ctx, broker, k, n, progress);
      ctx.report.add(row("start.lua, 100 entries per call (after XREADGROUP COUNT 100)", n, window.stop(n)));

      progress = ctx.progress.step(String.format(Locale.ROOT, "scripts: complete.lua, %,d tasks", n), n);
      window = ctx.cost.start();
      for (int i = 0; i < held.size(); i += COMPLETE_BATCH) {
        complete(broker, k, held.subList(i, Math.min(held.size(), i + COMPLETE_BATCH)));
        progress.set(Math.min(n, i + COMPLETE_BATCH));
      }
      ctx.report.add(row("complete.lua, " + COMPLETE_BATCH + " successes per call", n, window.stop(n)));

      // what one redis.call costs beyond its command: a script of nothing but cheap HGETs
      ctx.progress.step(String.format(Locale.ROOT, "scripts: %,d HGETs from Lua", n), n);
      String record = k.task(AGENT_TYPE, held.get(0)[0]);
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

  /** Reads and starts {@code n} entries; returns each started task's id, entry id and delivery token. */
  private static List<String[]> startAll(BenchContext ctx, RedisBroker broker, Keys k, int n, AtomicLong progress) {
    List<String[]> held = new ArrayList<>(n);
    while (held.size() < n) {
      List<StreamMessage<String, String>> entries = ctx.redis.sync().xreadgroup(Consumer.from(Keys.GROUP, CONSUMER),
          XReadArgs.Builder.count(Math.min(100, n - held.size())).block(1000),
          XReadArgs.StreamOffset.lastConsumed(k.stream(AGENT_TYPE)));
      if (entries.isEmpty()) {
        throw new IllegalStateException("only " + held.size() + " of " + n + " tasks reached the stream");
      }
      String[] keys = new String[3 + entries.size()];
      String[] args = new String[3 + 2 * entries.size()];
      keys[0] = k.stream(AGENT_TYPE);
      keys[1] = k.dead(AGENT_TYPE);
      keys[2] = k.stats(AGENT_TYPE);
      args[0] = Keys.GROUP;
      args[1] = CONSUMER;
      args[2] = k.finishedChannel(AGENT_TYPE);
      for (int i = 0; i < entries.size(); i++) {
        String id = entries.get(i).getBody().get("t");
        keys[3 + i] = k.task(AGENT_TYPE, id);
        args[3 + 2 * i] = entries.get(i).getId();
        args[4 + 2 * i] = id;
      }
      List<Object> replies = broker.runSync(Script.START, keys, args);
      for (int i = 0; i < replies.size(); i++) {
        List<?> r = (List<?>) replies.get(i);
        if (!Long.valueOf(1).equals(r.get(0))) {
          throw new IllegalStateException("start.lua did not start " + args[4 + 2 * i] + ": " + r);
        }
        Map<String, String> f = WireFormat.startedRecord((List<?>) r.get(1));
        held.add(new String[] {f.get("id"), f.get("eid"), f.get("dlv")});
      }
      progress.set(held.size());
    }
    return held;
  }

  private static void complete(RedisBroker broker, Keys k, List<String[]> tasks) {
    String[] keys = new String[2 + tasks.size()];
    String[] args = new String[3 + 4 * tasks.size()];
    keys[0] = k.stream(AGENT_TYPE);
    keys[1] = k.stats(AGENT_TYPE);
    args[0] = Keys.GROUP;
    args[1] = Long.toString(RETENTION_MS);
    args[2] = k.finishedChannel(AGENT_TYPE);
    for (int i = 0; i < tasks.size(); i++) {
      String[] t = tasks.get(i);
      keys[2 + i] = k.task(AGENT_TYPE, t[0]);
      args[3 + 4 * i] = t[1];
      args[4 + 4 * i] = t[2];
      args[5 + 4 * i] = "null";
      args[6 + 4 * i] = "{\"a\":1,\"w\":\"" + CONSUMER + "\",\"s\":1795874815747,\"f\":1795874815748}";
    }
    List<Object> replies = broker.runSync(Script.COMPLETE, keys, args);
    for (Object r : replies) {
      if (!List.of(1L).equals(r)) {
        throw new IllegalStateException("complete.lua did not record a success: " + r);
      }
    }
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
