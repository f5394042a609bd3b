package dev.baton;

/**
 * What enqueue did. Immutable and thread-safe.
 *
 * @param id the task's id: the new task's, or the existing one's when {@code created} is false
 * @param agentType the queue
 * @param created false when a task with this id (or dedup key) already existed: nothing was written
 * @param state the task's state right after the call
 */
public record EnqueueResult(String id, String agentType, boolean created, TaskState state) {}
