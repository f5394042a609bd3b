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
    long parked) {}
