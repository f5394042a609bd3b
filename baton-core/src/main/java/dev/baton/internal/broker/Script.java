package dev.baton.internal.broker;

import io.lettuce.core.ScriptOutputType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Every Lua script Baton runs, one file per state change under {@code dev/baton/lua/}. Each
 * declares how many keys it takes (exactly, or at least, for batch scripts); the count is checked
 * on every call, as BullMQ's {@code -N} file suffix does. Only {@link RedisBroker} (which runs
 * them) and the gateways of {@code dev.baton.internal.scripts} (which know their layouts) use it.
 */
public enum Script {
  ENQUEUE("enqueue", 5, true, ScriptOutputType.MULTI),
  START("start", 3, true, ScriptOutputType.MULTI),
  COMPLETE("complete", 2, true, ScriptOutputType.MULTI),
  FAIL("fail", 5, false, ScriptOutputType.MULTI),
  DUE("due", 1, false, ScriptOutputType.MULTI),
  PROMOTE("promote", 2, true, ScriptOutputType.INTEGER),
  CANCEL("cancel", 6, false, ScriptOutputType.MULTI),
  REPLAY("replay", 4, false, ScriptOutputType.MULTI),
  PURGE("purge", 1, true, ScriptOutputType.INTEGER),
  STATS("stats", 5, false, ScriptOutputType.MULTI),
  DEAD_ENTRY("dead-entry", 4, false, ScriptOutputType.MULTI),
  RENEW("renew", 1, true, ScriptOutputType.MULTI),
  STALE("stale", 1, false, ScriptOutputType.MULTI),
  RECOVER("recover", 4, true, ScriptOutputType.MULTI),
  RELEASE("release", 1, true, ScriptOutputType.MULTI),
  PRUNE_CONSUMERS("prune-consumers", 1, false, ScriptOutputType.INTEGER),
  AUDIT("audit", 5, true, ScriptOutputType.MULTI),
  RATE_RESERVE("rate-reserve", 3, false, ScriptOutputType.MULTI),
  RATE_RECONCILE("rate-reconcile", 2, false, ScriptOutputType.MULTI),
  RATE_USAGE("rate-usage", 2, true, ScriptOutputType.MULTI),
  PERMIT_ACQUIRE("permit-acquire", 2, false, ScriptOutputType.MULTI),
  PERMIT_RENEW("permit-renew", 2, false, ScriptOutputType.MULTI),
  PERMIT_RELEASE("permit-release", 1, false, ScriptOutputType.INTEGER),
  PERMIT_USAGE("permit-usage", 1, true, ScriptOutputType.MULTI),
  PARK("park", 5, false, ScriptOutputType.MULTI),
  UNPARK("unpark", 5, true, ScriptOutputType.MULTI),
  BREAKER_ACQUIRE("breaker-acquire", 4, false, ScriptOutputType.MULTI),
  BREAKER_RECORD("breaker-record", 4, false, ScriptOutputType.MULTI),
  BREAKER_STATE("breaker-state", 3, false, ScriptOutputType.MULTI),
  /** Layout v2 (docs/hot-path-v2.md), run when the process runs layout 2 ({@link Layout}). */
  ENQUEUE_V2("v2/enqueue", 5, true, ScriptOutputType.MULTI),
  /** Layout v2 (docs/hot-path-v2.md), run when the process runs layout 2 ({@link Layout}). */
  CYCLE_V2("v2/cycle", 2, true, ScriptOutputType.MULTI),
  /** Layout v2, run when the process runs layout 2 ({@link Layout}). */
  FAIL_V2("v2/fail", 6, false, ScriptOutputType.MULTI),
  /** Layout v2, run when the process runs layout 2 ({@link Layout}). */
  PARK_V2("v2/park", 6, false, ScriptOutputType.MULTI),
  /** Layout v2, run when the process runs layout 2 ({@link Layout}). */
  RELEASE_V2("v2/release", 1, true, ScriptOutputType.MULTI),
  /** Layout v2, run when the process runs layout 2 ({@link Layout}). */
  RENEW_V2("v2/renew", 1, true, ScriptOutputType.MULTI),
  /** Layout v2, run when the process runs layout 2 ({@link Layout}). */
  PROMOTE_V2("v2/promote", 4, true, ScriptOutputType.INTEGER),
  /** Layout v2, run when the process runs layout 2 ({@link Layout}). */
  STALE_V2("v2/stale", 1, false, ScriptOutputType.MULTI),
  /** Layout v2, run when the process runs layout 2 ({@link Layout}). */
  RECOVER_V2("v2/recover", 3, true, ScriptOutputType.MULTI),
  /** Layout v2, run when the process runs layout 2 ({@link Layout}). */
  QUEUE_V2("v2/queue", 2, false, ScriptOutputType.INTEGER),
  /** Layout v2: one task as record fields, read-only (Inspector.task, the result waiter). */
  TASK_V2("v2/task", 4, false, ScriptOutputType.MULTI),
  /** Layout v2: a queue's counts, read-only (Inspector.stats). */
  STATS_V2("v2/stats", 5, false, ScriptOutputType.MULTI),
  /** Layout v2: Dispatcher.cancel. */
  CANCEL_V2("v2/cancel", 8, false, ScriptOutputType.MULTI),
  /** Layout v2: parked tasks back to the stream, held, or ended past their max wait. */
  UNPARK_V2("v2/unpark", 5, true, ScriptOutputType.MULTI),
  /** Layout v2: a dead letter back to the stream with a fresh attempt budget. */
  REPLAY_V2("v2/replay", 6, false, ScriptOutputType.MULTI),
  /** Layout v2: dead letters deleted for good (record, dead member, index field). */
  PURGE_V2("v2/purge", 1, true, ScriptOutputType.INTEGER),
  /** Layout v2: tasks of the index whose entry or set membership was lost outside Baton. */
  AUDIT_V2("v2/audit", 5, true, ScriptOutputType.MULTI);

  private final String file;
  private final int keys;
  private final boolean variadic;
  private final ScriptOutputType output;
  private final String source;

  Script(String file, int keys, boolean variadic, ScriptOutputType output) {
    this.file = file;
    this.keys = keys;
    this.variadic = variadic;
    this.output = output;
    this.source = withIncludes(load("/dev/baton/lua/" + file + ".lua"));
  }

  public String source() {
    return source;
  }

  /** The script's file name under {@code dev/baton/lua/}, without {@code .lua}. */
  public String file() {
    return file;
  }

  ScriptOutputType output() {
    return output;
  }

  void checkKeyCount(int count) {
    if (variadic ? count < keys : count != keys) {
      throw new IllegalArgumentException(
          file + ".lua takes " + (variadic ? "at least " : "") + keys + " keys, got " + count);
    }
  }

  /**
   * {@code source} with each line {@code --@include NAME ...} replaced by {@code
   * dev/baton/lua/include/NAME.lua} (itself with its includes): helpers several scripts share (Redis runs each script on its own,
   * so they are put together here, before the SHA is taken).
   */
  private static String withIncludes(String source) {
    StringBuilder out = new StringBuilder(source.length());
    for (String line : source.split("\n", -1)) {
      if (line.startsWith("--@include ")) {
        String name = line.substring("--@include ".length()).split(" ", 2)[0];
        out.append(withIncludes(load("/dev/baton/lua/include/" + name + ".lua"))).append('\n');
      } else {
        out.append(line).append('\n');
      }
    }
    out.setLength(out.length() - 1);
    return out.toString();
  }

  private static String load(String path) {
    try (InputStream in = Script.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing script resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read script resource " + path, e);
    }
  }
}
