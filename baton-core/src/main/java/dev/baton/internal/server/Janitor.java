package dev.baton.internal.server;

import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Layout;
import dev.baton.internal.scripts.DeadLetterScripts;
import dev.baton.internal.scripts.DeadLetterV2Scripts;
import dev.baton.internal.scripts.RecoveryScripts;
import dev.baton.internal.scripts.RecoveryV2Scripts;
import java.util.ArrayList;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic cleanup: keeps each dead-letter queue under its cap by purging the oldest dead letters,
 * deletes consumers that hold nothing and have been idle for long (workers that are gone), and
 * audits a page of task records per round: a task whose stream entry was deleted outside Baton (a
 * raw trim) is dead-lettered with the reason instead of waiting forever. The audit walks the task
 * records with a SCAN cursor kept between rounds, {@link #AUDIT_PAGE} keys per round, so its cost
 * per round stays flat however many tasks there are. Finished task records expire by themselves
 * (retention) and finished stream entries are deleted by the outcome scripts.
 *
 * <p>On layout 2 ({@link Layout}) the audit walks the index instead (docs/hot-path-v2.md): up to
 * {@link #AUDIT_BUCKETS} buckets or {@link #AUDIT_PAGE} task ids per round, with HSCAN, the bucket
 * and its cursor kept between rounds; the cap and the consumer pruning are the same (pruning
 * deletes only consumers with no pending entry, so the reserved consumers {@code ~released},
 * {@code ~recovered} and {@code ~suspect} are kept while they hold anything).
 */
public final class Janitor {
  /** Layout 2 ({@link Layout}), read when built. */
  private final boolean v2 = Layout.v2();
  private static final Logger log = LoggerFactory.getLogger(Janitor.class);
  static final int BATCH = 500;
  /** Task keys looked at per agent type and round (SCAN COUNT); one audit script per page. */
  static final int AUDIT_PAGE = 1_000;
  /** Layout 2: index buckets looked at per agent type and round, at most (4,096 buckets: 16 rounds a pass). */
  static final int AUDIT_BUCKETS = 256;

  private final RecoveryScripts recovery;
  private final DeadLetterScripts deadLetters;
  private final RecoveryV2Scripts recoveryV2;
  private final DeadLetterV2Scripts deadLettersV2;
  /** Layout 2: per queue, the index bucket the audit is at and its HSCAN cursor there. */
  private final Map<String, IndexCursor> indexCursors = new HashMap<>();
  private final List<String> queues;
  private final long deadLetterCap;
  private final Duration period;
  private final String self;
  private final Duration consumerIdleLimit;
  private final Map<String, String> auditCursors = new HashMap<>();
  private final QueueIsolation isolation;

  public Janitor(RedisBroker broker, List<String> queues, long deadLetterCap, Duration period, String self,
      Duration consumerIdleLimit) {
    this.recovery = new RecoveryScripts(broker);
    this.deadLetters = new DeadLetterScripts(broker);
    this.recoveryV2 = new RecoveryV2Scripts(broker);
    this.deadLettersV2 = new DeadLetterV2Scripts(broker);
    this.queues = List.copyOf(queues);
    this.deadLetterCap = deadLetterCap;
    this.period = period;
    this.self = self;
    this.consumerIdleLimit = consumerIdleLimit;
    this.isolation = new QueueIsolation("janitor", broker.keys().prefix());
  }

  /** One round over every queue; a queue that fails is logged and skipped (see {@link QueueIsolation}). */
  public Duration runOnce() {
    for (String queue : queues) {
      isolation.run(queue, () -> cleanUp(queue));
    }
    return period;
  }

  private void cleanUp(String queue) {
    List<String> excess;
    while (!(excess = deadLetters.deadOverCap(queue, deadLetterCap, BATCH)).isEmpty()) {
      long n = v2 ? deadLettersV2.purge(queue, excess) : deadLetters.purge(queue, excess);
      log.info("purged {} oldest dead letters of {} (cap {})", n, queue, deadLetterCap);
    }
    long pruned = recovery.pruneConsumers(queue, consumerIdleLimit.toMillis(), self);
    if (pruned > 0) {
      log.info("deleted {} idle consumer(s) of {} that held no task", pruned, queue);
    }
    audit(queue);
  }

  /** Audits the next page of {@code queue}'s task records; returns how many were dead-lettered. */
  public long audit(String queue) {
    if (v2) {
      return auditIndex(queue);
    }
    RedisBroker.ScanPage page = recovery.scanTaskKeys(queue, auditCursors.getOrDefault(queue, "0"), AUDIT_PAGE);
    auditCursors.put(queue, page.cursor());
    if (page.keys().isEmpty()) {
      return 0;
    }
    return reportAudit(queue, recovery.audit(queue, page.keys()));
  }

  /** Where the layout-2 audit of a queue is: an index bucket and the HSCAN cursor in it. */
  private record IndexCursor(int bucket, String cursor) {}

  /**
   * Layout 2: audits the task ids of the next index buckets, from where the last round stopped, up
   * to {@link #AUDIT_BUCKETS} buckets or about {@link #AUDIT_PAGE} ids; returns how many were
   * dead-lettered.
   */
  private long auditIndex(String queue) {
    IndexCursor at = indexCursors.getOrDefault(queue, new IndexCursor(0, "0"));
    List<String> ids = new ArrayList<>();
    int bucket = at.bucket();
    String cursor = at.cursor();
    for (int visited = 0; visited < AUDIT_BUCKETS && ids.size() < AUDIT_PAGE; visited++) {
      RedisBroker.ScanPage page = recoveryV2.scanIndexBucket(queue, bucket, cursor, AUDIT_PAGE - ids.size());
      ids.addAll(page.keys());
      cursor = page.cursor();
      if ("0".equals(cursor)) {
        bucket++;
        if (bucket == RecoveryV2Scripts.BUCKETS) {
          bucket = 0;
          break; // a pass ends here
        }
      }
    }
    indexCursors.put(queue, new IndexCursor(bucket, cursor));
    if (ids.isEmpty()) {
      return 0;
    }
    return reportAudit(queue, recoveryV2.audit(queue, ids));
  }

  private long reportAudit(String queue, RecoveryScripts.Audited audited) {
    long lost = audited.deadIds().size();
    if (lost > 0) {
      log.error("{} task(s) of {} lost their stream entry to a deletion outside Baton (raw XTRIM/XDEL, MAXLEN, "
          + "eviction?); they were dead-lettered and can be replayed", lost, queue);
    }
    if (!audited.repairedIds().isEmpty()) {
      log.error("{} task record(s) of {} were missing from the set their state belongs in (delayed, parked or dead: "
          + "a raw ZREM or DEL?); they were put back: {}", audited.repairedIds().size(), queue, audited.repairedIds());
    }
    return lost;
  }

  /** True when the last audit round of {@code queue} ended a full pass over its task records (or index). */
  public boolean auditPassEnded(String queue) {
    if (v2) {
      IndexCursor at = indexCursors.get(queue);
      return at == null || (at.bucket() == 0 && "0".equals(at.cursor()));
    }
    return "0".equals(auditCursors.getOrDefault(queue, "0"));
  }
}
