package dev.baton;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of one task's record, read at one moment: stale as soon as it is read. Immutable and
 * thread-safe: the history list and the headers map are unmodifiable copies.
 *
 * @param id task id
 * @param agentType its queue ("" for a tombstone of an unreadable stream entry)
 * @param state current state
 * @param attempts attempts started (reset to 0 by a dead-letter replay)
 * @param maxAttempts attempt budget
 * @param deliveries times the task was handed to a worker
 * @param createdAt enqueue time (Redis server clock)
 * @param scheduledAt when it is or was due (Redis server clock)
 * @param startedAt start of the latest attempt, null before the first
 * @param finishedAt when it reached a terminal state, null before
 * @param payloadJson the payload, null for a tombstone
 * @param resultJson the result once succeeded
 * @param lastError the latest failed attempt, null if none
 * @param history every attempt's record, oldest first
 * @param deadReason why it was dead-lettered, null unless dead
 * @param headers headers set at enqueue
 * @param waitingFor the dependency a parked task waits for, null unless parked
 * @param parkedReason why it is parked, null unless parked
 */
public record TaskInfo(
    String id,
    String agentType,
    TaskState state,
    int attempts,
    int maxAttempts,
    int deliveries,
    Instant createdAt,
    Instant scheduledAt,
    Instant startedAt,
    Instant finishedAt,
    String payloadJson,
    String resultJson,
    TaskError lastError,
    List<TaskError> history,
    String deadReason,
    Map<String, String> headers,
    String waitingFor,
    String parkedReason) {

  /** Makes unmodifiable copies of the history and the headers (keeping the headers' order). */
  public TaskInfo {
    history = history == null ? null : List.copyOf(history);
    headers = headers == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
  }
}
