package dev.baton.internal.scripts;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.RedisBroker.ScanPage;
import dev.baton.internal.broker.Script;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway of recovery and cleanup: stale.lua and recover.lua (leases that ran out), audit.lua
 * (entries deleted outside Baton) with the SCAN over task records it audits, prune-consumers.lua
 * and dead-entry.lua (unreadable entries). The only code that knows those scripts' KEYS/ARGV
 * layouts and reply shapes. Every call waits, up to the command timeout. Thread-safe.
 */
public final class RecoveryScripts {
  private final RedisBroker broker;
  private final Keys keys;

  public RecoveryScripts(RedisBroker broker) {
    this.broker = broker;
    this.keys = broker.keys();
  }

  /** A pending entry whose lease ran out; {@code taskId} is {@code ""} when the entry was deleted or has none. */
  public record StaleEntry(String entryId, String taskId) {}

  /**
   * What one recover call did. {@code skippedKeys}: task keys that hold another type than a hash
   * (written outside Baton); their entries were left pending and untouched, the others taken over.
   */
  public record Recovered(long requeued, long deadLettered, long cleaned, List<String> requeuedIds,
      List<String> deadIds, List<String> skippedKeys) {}

  /** The id of the dead tombstone that records an unreadable or deleted stream entry. */
  public static String tombstoneId(String entryId) {
    return "entry-" + entryId;
  }

  /** Up to {@code count} pending entries of {@code queue} idle longer than the lease (stale.lua). Read-only. */
  public List<StaleEntry> stale(String queue, long leaseMillis, int count) {
    List<String> flat = broker.runSync(Script.STALE, new String[] {keys.stream(queue)}, Keys.GROUP,
        Long.toString(leaseMillis), Integer.toString(count));
    List<StaleEntry> out = new ArrayList<>(flat.size() / 2);
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      out.add(new StaleEntry(flat.get(i), flat.get(i + 1)));
    }
    return out;
  }

  /**
   * Takes over {@code entries} with recover.lua, each re-checked there: requeued, spread out as
   * suspects, or dead-lettered once delivered {@code maxDeliveries} times without an outcome.
   *
   * @param spreadSeed a random fraction in [0, 1) that spreads suspects apart
   */
  public Recovered recover(String queue, long leaseMillis, int maxDeliveries, double spreadSeed,
      List<StaleEntry> entries) {
    String[] keyNames = new String[4 + entries.size()];
    String[] args = new String[5 + 2 * entries.size()];
    keyNames[0] = keys.stream(queue);
    keyNames[1] = keys.dead(queue);
    keyNames[2] = keys.stats(queue);
    keyNames[3] = keys.delayed(queue);
    args[0] = Keys.GROUP;
    args[1] = Long.toString(leaseMillis);
    args[2] = Integer.toString(maxDeliveries);
    args[3] = keys.finishedChannel(queue);
    args[4] = Double.toString(spreadSeed);
    for (int i = 0; i < entries.size(); i++) {
      StaleEntry e = entries.get(i);
      keyNames[4 + i] = keys.task(queue, e.taskId().isEmpty() ? tombstoneId(e.entryId()) : e.taskId());
      args[5 + 2 * i] = e.entryId();
      args[6 + 2 * i] = e.taskId();
    }
    List<Object> r = ScriptErrors.typed(() -> broker.runSync(Script.RECOVER, keyNames, args));
    ScriptErrors.unnotified(Script.RECOVER, queue, r.size() > 5 ? r.get(5) : null);
    List<String> skipped = r.size() > 6 ? strings(r.get(6)) : List.of();
    ScriptErrors.skipped(Script.RECOVER, queue, skipped);
    return new Recovered((Long) r.get(0), (Long) r.get(1), (Long) r.get(2), strings(r.get(3)), strings(r.get(4)),
        skipped);
  }

  /** The next page of {@code queue}'s task record keys, starting at {@code cursor} ("0": the start). */
  public ScanPage scanTaskKeys(String queue, String cursor, int count) {
    return broker.await(broker.scan(cursor, keys.taskPattern(queue), count));
  }

  /**
   * What one audit call did: the tasks dead-lettered because their stream entry was deleted outside
   * Baton, and the records put back into the set their state belongs in (delayed, parked or dead).
   */
  public record Audited(List<String> deadIds, List<String> repairedIds) {}

  /**
   * Audits the records {@code taskKeys} (audit.lua): dead-letters the tasks whose stream entry was
   * deleted outside Baton, and puts back a 'scheduled', 'retrying', 'parked' or 'dead' record that is
   * missing from its set, with its due (or death) time.
   */
  public Audited audit(String queue, List<String> taskKeys) {
    String[] keyNames = new String[5 + taskKeys.size()];
    keyNames[0] = keys.stream(queue);
    keyNames[1] = keys.dead(queue);
    keyNames[2] = keys.stats(queue);
    keyNames[3] = keys.delayed(queue);
    keyNames[4] = keys.parked(queue);
    for (int i = 0; i < taskKeys.size(); i++) {
      keyNames[5 + i] = taskKeys.get(i);
    }
    List<Object> r = ScriptErrors.typed(
        () -> broker.runSync(Script.AUDIT, keyNames, Keys.GROUP, keys.finishedChannel(queue)));
    ScriptErrors.unnotified(Script.AUDIT, queue, r.size() > 4 ? r.get(4) : null);
    return new Audited(strings(r.get(2)), strings(r.get(3)));
  }

  /**
   * Deletes the consumers of {@code queue}'s group that hold nothing and were idle at least {@code
   * minIdleMillis}, never {@code self} (prune-consumers.lua); returns how many.
   */
  public long pruneConsumers(String queue, long minIdleMillis, String self) {
    return broker.<Long>runSync(Script.PRUNE_CONSUMERS, new String[] {keys.stream(queue)}, Keys.GROUP,
        Long.toString(minIdleMillis), self);
  }

  /**
   * Acknowledges an entry that cannot be read as a task and records it as the dead tombstone
   * {@link #tombstoneId}, with its raw fields (dead-entry.lua).
   *
   * @param rawJson the entry's fields as a JSON object
   * @return {@link ScriptStatus#OK} written, or {@link ScriptStatus#EXISTS} (the tombstone existed)
   */
  public ScriptStatus deadEntry(String queue, String entryId, String reason, String rawJson) {
    String tombstone = tombstoneId(entryId);
    List<Long> r = ScriptErrors.typed(() -> broker.runSync(Script.DEAD_ENTRY,
        new String[] {keys.stream(queue), keys.dead(queue), keys.task(queue, tombstone), keys.stats(queue)},
        Keys.GROUP, entryId, tombstone, reason, rawJson));
    return ScriptStatus.of(Script.DEAD_ENTRY, r.get(0));
  }

  @SuppressWarnings("unchecked")
  static List<String> strings(Object reply) {
    return reply == null ? List.of() : List.copyOf((List<String>) reply);
  }
}
