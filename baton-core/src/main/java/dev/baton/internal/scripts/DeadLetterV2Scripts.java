package dev.baton.internal.scripts;

import dev.baton.BatonException;
import dev.baton.TaskNotFoundException;
import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.List;

/**
 * The gateway of layout v2's dead letters (docs/hot-path-v2.md): {@code v2/replay.lua} and {@code
 * v2/purge.lua}. The dead set itself is the same as layout 1's, so its reads stay in {@link
 * DeadLetterScripts}. The only code that knows those scripts' KEYS/ARGV layouts and reply shapes.
 * Every call waits, up to the command timeout. Thread-safe.
 */
public final class DeadLetterV2Scripts {
  private final RedisBroker broker;
  private final Keys keys;

  public DeadLetterV2Scripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /**
   * Puts a dead letter back on its stream with a fresh attempt budget.
   *
   * @return false when the task is not dead (nothing written)
   * @throws TaskNotFoundException when no such task exists
   * @throws BatonException when it is a tombstone, which cannot run
   */
  public boolean replay(String queue, String id) {
    ScriptStatus status = replayStatus(queue, id);
    ScriptErrors.throwIfTaskError(status, id);
    return status == ScriptStatus.OK;
  }

  /**
   * Replays like {@link #replay} and returns the script's status instead of throwing.
   *
   * @return OK (replayed), WRONG_STATE (not dead), NOT_FOUND or TOMBSTONE (nothing written)
   */
  public ScriptStatus replayStatus(String queue, String id) {
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.REPLAY_V2,
        new String[] {keys.stream(queue), keys.dead(queue), keys.stats(queue), keys.indexBucket(queue, id),
            keys.task(queue, id), keys.layout(queue)},
        Keys.GROUP, id));
    return ScriptStatus.of(Script.REPLAY_V2, (Long) r.get(0));
  }

  /** Deletes the dead letters among {@code ids} for good; other ids are ignored. Returns how many. */
  public long purge(String queue, List<String> ids) {
    String[] keyNames = new String[1 + 2 * ids.size()];
    keyNames[0] = keys.dead(queue);
    for (int i = 0; i < ids.size(); i++) {
      keyNames[1 + 2 * i] = keys.task(queue, ids.get(i));
      keyNames[2 + 2 * i] = keys.indexBucket(queue, ids.get(i));
    }
    return ScriptErrors.<Long>typed(() -> broker.runSync(Script.PURGE_V2, keyNames, ids.toArray(String[]::new)));
  }
}
