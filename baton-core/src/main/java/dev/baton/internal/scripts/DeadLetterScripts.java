package dev.baton.internal.scripts;

import dev.baton.BatonException;
import dev.baton.TaskNotFoundException;
import dev.baton.TaskState;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.List;

/**
 * The gateway of ending tasks by hand and of the dead-letter set: cancel.lua, replay.lua and
 * purge.lua, and the reads of the dead set. The only code that knows those scripts' KEYS/ARGV
 * layouts and reply shapes. Every call waits, up to the command timeout. Thread-safe.
 */
public final class DeadLetterScripts {
  private final RedisBroker broker;
  private final Keys keys;

  public DeadLetterScripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * Cancels a task that has not started (cancel.lua).
   *
   * @param retentionMillis how long the cancelled record is kept
   * @return whether this call cancelled it, and the task's state: {@link TaskState#CANCELLED}, or
   *     the state in which it could not be cancelled
   * @throws TaskNotFoundException when no such task exists
   */
  public Cancel cancel(String queue, String id, long retentionMillis) {
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.CANCEL,
        new String[] {keys.task(queue, id), keys.stream(queue), keys.delayed(queue), keys.stats(queue),
            keys.parked(queue), keys.parking(queue)},
        Keys.GROUP, Long.toString(retentionMillis), keys.finishedChannel(queue), id));
    ScriptStatus status = ScriptStatus.of(Script.CANCEL, (Long) r.get(0));
    ScriptErrors.unnotified(Script.CANCEL, queue, r.size() > 2 ? r.get(2) : null);
    ScriptErrors.throwIfTaskError(status, id);
    return new Cancel(status == ScriptStatus.OK, TaskState.fromWire((String) r.get(1)));
  }

  /**
   * What a cancel did.
   *
   * @param cancelled true when this call cancelled the task (a task cancelled before reads false)
   * @param state the task's state after the call
   */
  public record Cancel(boolean cancelled, TaskState state) {}

  /**
   * Puts a dead letter back on its stream with a fresh attempt budget (replay.lua).
   *
   * @return false when the task is not dead (nothing written)
   * @throws TaskNotFoundException when no such task exists
   * @throws BatonException when it is a tombstone of an unreadable entry, which cannot run
   */
  public boolean replay(String queue, String id) {
    ScriptStatus status = replayStatus(queue, id);
    ScriptErrors.throwIfTaskError(status, id);
    return status == ScriptStatus.OK;
  }

  /**
   * Replays like {@link #replay} and returns the script's status instead of throwing for a task
   * that is missing or a tombstone: for a caller that goes on through a list.
   *
   * @return OK (replayed), WRONG_STATE (not dead), NOT_FOUND or TOMBSTONE (nothing written)
   */
  public ScriptStatus replayStatus(String queue, String id) {
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.REPLAY,
        new String[] {keys.task(queue, id), keys.stream(queue), keys.dead(queue), keys.stats(queue)}, Keys.GROUP, id));
    return ScriptStatus.of(Script.REPLAY, (Long) r.get(0));
  }


  /** Deletes the dead letters among {@code ids} for good (purge.lua); other ids are ignored. Returns how many. */
  public long purge(String queue, List<String> ids) {
    String[] keyNames = new String[1 + ids.size()];
    keyNames[0] = keys.dead(queue);
    for (int i = 0; i < ids.size(); i++) {
      keyNames[1 + i] = keys.task(queue, ids.get(i));
    }
    return ScriptErrors.<Long>typed(() -> broker.runSync(Script.PURGE, keyNames, ids.toArray(String[]::new)));
  }

  /** Dead-letter ids, oldest first. */
  public List<String> deadIds(String queue, long offset, long limit) {
    return broker.await(broker.zrange(keys.dead(queue), offset, offset + limit - 1));
  }

  public long deadCount(String queue) {
    return broker.await(broker.zcard(keys.dead(queue)));
  }

  /** Ids of dead letters beyond {@code cap}, oldest first, at most {@code limit}. */
  public List<String> deadOverCap(String queue, long cap, int limit) {
    long excess = deadCount(queue) - cap;
    if (excess <= 0) {
      return List.of();
    }
    return broker.await(broker.zrangeByScore(keys.dead(queue), Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY,
        Math.min(excess, limit)));
  }
}
