package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway of layout v2's recovery and promotion (docs/hot-path-v2.md): {@code v2/stale.lua},
 * {@code v2/recover.lua} and {@code v2/promote.lua}. The only code that knows their KEYS/ARGV
 * layouts and reply shapes. Used when the process runs layout 2 (Layout). Thread-safe.
 */
public final class RecoveryV2Scripts {
  private final RedisBroker broker;
  private final Keys keys;

  public RecoveryV2Scripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /** A pending entry whose lease expired; {@code taskId} is {@code ""} when the entry has none. */
  public record StaleEntry(String entryId, String taskId) {}

  /** What one recover call did. */
  public record Recovered(long recovered, long deadLettered, long cleaned, List<String> recoveredIds,
      List<String> deadIds, String unnotified, List<String> skippedKeys) {}

  /** Up to {@code max} entries of {@code queue} idle past {@code leaseMillis} under a worker's consumer. */
  public List<StaleEntry> stale(String queue, long leaseMillis, int max) {
    List<Object> flat = broker.runSync(Script.STALE_V2, new String[] {keys.stream(queue)}, Keys.GROUP,
        Long.toString(leaseMillis), Integer.toString(max));
    List<StaleEntry> out = new ArrayList<>(flat.size() / 2);
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      out.add(new StaleEntry((String) flat.get(i), (String) flat.get(i + 1)));
    }
    return out;
  }

  /** Takes over {@code entries} (each re-checked in the script). */
  @SuppressWarnings("unchecked") // the script's reply shape, documented in its header
  public Recovered recover(String queue, List<StaleEntry> entries, long leaseMillis, int maxDeliveries) {
    String[] keyNames = new String[3 + 2 * entries.size()];
    String[] args = new String[4 + 2 * entries.size()];
    keyNames[0] = keys.stream(queue);
    keyNames[1] = keys.dead(queue);
    keyNames[2] = keys.stats(queue);
    args[0] = Keys.GROUP;
    args[1] = Long.toString(leaseMillis);
    args[2] = Integer.toString(maxDeliveries);
    args[3] = keys.finishedChannel(queue);
    for (int i = 0; i < entries.size(); i++) {
      StaleEntry e = entries.get(i);
      String id = e.taskId().isEmpty() ? "entry-" + e.entryId() : e.taskId();
      keyNames[3 + 2 * i] = keys.indexBucket(queue, id);
      keyNames[4 + 2 * i] = keys.task(queue, id);
      args[4 + 2 * i] = e.entryId();
      args[5 + 2 * i] = e.taskId();
    }
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.RECOVER_V2, keyNames, args));
    return new Recovered((Long) r.get(0), (Long) r.get(1), (Long) r.get(2), (List<String>) r.get(3),
        (List<String>) r.get(4), r.get(5) instanceof String s ? s : null, (List<String>) r.get(6));
  }

  /** Moves the due ones of {@code ids} from the delayed set to the stream; returns how many moved. */
  public long promote(String queue, List<String> ids) {
    String[] keyNames = new String[4 + 2 * ids.size()];
    keyNames[0] = keys.delayed(queue);
    keyNames[1] = keys.stream(queue);
    keyNames[2] = keys.dead(queue);
    keyNames[3] = keys.stats(queue);
    for (int i = 0; i < ids.size(); i++) {
      keyNames[4 + 2 * i] = keys.task(queue, ids.get(i));
      keyNames[5 + 2 * i] = keys.indexBucket(queue, ids.get(i));
    }
    Long moved = ScriptErrors.typed(() -> broker.runSync(Script.PROMOTE_V2, keyNames, ids.toArray(String[]::new)));
    return moved;
  }

  /** Index buckets per queue (docs/hot-path-v2.md): {@code P:{Q}:ix:000} to {@code P:{Q}:ix:fff}. */
  public static final int BUCKETS = 4096;

  /** The next page of task ids in index bucket {@code bucket} (0 to 4,095), from {@code cursor} ("0": the start). */
  public dev.baton.internal.broker.RedisBroker.ScanPage scanIndexBucket(String queue, int bucket, String cursor,
      int count) {
    return broker.await(broker.hscanFields(keys.indexBucket(queue, bucket), cursor, count));
  }

  /**
   * Audits the tasks {@code ids} of the index (v2/audit.lua): dead-letters those whose stream entry
   * was deleted outside Baton, and puts back a delayed, parked or dead task missing from its set.
   */
  public RecoveryScripts.Audited audit(String queue, List<String> ids) {
    String[] keyNames = new String[5 + 2 * ids.size()];
    String[] args = new String[2 + ids.size()];
    keyNames[0] = keys.stream(queue);
    keyNames[1] = keys.dead(queue);
    keyNames[2] = keys.stats(queue);
    keyNames[3] = keys.delayed(queue);
    keyNames[4] = keys.parked(queue);
    args[0] = Keys.GROUP;
    args[1] = keys.finishedChannel(queue);
    for (int i = 0; i < ids.size(); i++) {
      keyNames[5 + 2 * i] = keys.indexBucket(queue, ids.get(i));
      keyNames[6 + 2 * i] = keys.task(queue, ids.get(i));
      args[2 + i] = ids.get(i);
    }
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.AUDIT_V2, keyNames, args));
    ScriptErrors.unnotified(Script.AUDIT_V2, queue, r.size() > 4 ? r.get(4) : null);
    return new RecoveryScripts.Audited(RecoveryScripts.strings(r.get(2)), RecoveryScripts.strings(r.get(3)));
  }
}
