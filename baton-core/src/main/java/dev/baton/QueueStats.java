package dev.baton;

/**
 * Counts for one agent type's queue, read at one moment ({@link Inspector#stats(String)}): stale as
 * soon as it is read. Immutable and thread-safe.
 *
 * @param agentType the queue
 * @param queued entries waiting for a worker
 * @param running entries handed to a worker and not yet finished (the group's pending entries)
 * @param delayed tasks waiting in the delayed set: scheduled for later, or retrying after backoff
 * @param dead tasks in the dead-letter queue now
 * @param succeeded tasks that succeeded since the queue was created
 * @param cancelled tasks cancelled since the queue was created
 * @param enqueued tasks created since the queue was created
 * @param retried failed attempts that were scheduled for retry
 * @param parked tasks parked now, waiting for a dependency
 * @param malformed null when the queue's keys could be read; otherwise why not (a counter that is
 *     not an integer, a key of the wrong type), and every count is 0. Only {@link Inspector#stats()}
 *     returns such entries, so that one bad queue does not hide the others.
 */
public record QueueStats(
    String agentType,
    long queued,
    long running,
    long delayed,
    long dead,
    long succeeded,
    long cancelled,
    long enqueued,
    long retried,
    long parked,
    String malformed) {

  /**
   * Counts that could be read ({@link #malformed()} null).
   *
   * @param agentType the queue
   * @param queued entries waiting for a worker
   * @param running entries handed to a worker and not yet finished
   * @param delayed tasks waiting in the delayed set
   * @param dead tasks in the dead-letter queue now
   * @param succeeded tasks that succeeded since the queue was created
   * @param cancelled tasks cancelled since the queue was created
   * @param enqueued tasks created since the queue was created
   * @param retried failed attempts that were scheduled for retry
   * @param parked tasks parked now
   */
  public QueueStats(String agentType, long queued, long running, long delayed, long dead, long succeeded,
      long cancelled, long enqueued, long retried, long parked) {
    this(agentType, queued, running, delayed, dead, succeeded, cancelled, enqueued, retried, parked, null);
  }

  /**
   * The entry of a queue whose keys cannot be read.
   *
   * @param agentType the queue
   * @param why why not
   * @return an entry with every count 0 and {@link #malformed()} = {@code why}
   */
  public static QueueStats malformed(String agentType, String why) {
    return new QueueStats(agentType, 0, 0, 0, 0, 0, 0, 0, 0, 0, why == null ? "unreadable" : why);
  }

  /**
   * Whether this queue's keys could be read.
   *
   * @return true when {@link #malformed()} is non-null
   */
  public boolean isMalformed() {
    return malformed != null;
  }
}
