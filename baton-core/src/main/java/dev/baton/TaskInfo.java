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
 * @param malformed null for a record Baton could read; otherwise why it could not, and the record
 *     holds only its id, agent type and state (plus its dead reason when that was readable). Only
 *     listings return such records ({@link Inspector#deadLetters}), so that one bad record does not
 *     hide the others; {@link Inspector#task} throws instead.
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
    String parkedReason,
    String malformed) {

  /** Makes unmodifiable copies of the history and the headers (keeping the headers' order). */
  public TaskInfo {
    history = history == null ? null : List.copyOf(history);
    headers = headers == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
  }

  /**
   * A record Baton could read ({@link #malformed()} null).
   *
   * @param id task id
   * @param agentType its queue
   * @param state current state
   * @param attempts attempts started
   * @param maxAttempts attempt budget
   * @param deliveries times the task was handed to a worker
   * @param createdAt enqueue time
   * @param scheduledAt when it is or was due
   * @param startedAt start of the latest attempt
   * @param finishedAt when it reached a terminal state
   * @param payloadJson the payload
   * @param resultJson the result
   * @param lastError the latest failed attempt
   * @param history every attempt's record
   * @param deadReason why it was dead-lettered
   * @param headers headers set at enqueue
   * @param waitingFor the dependency a parked task waits for
   * @param parkedReason why it is parked
   */
  public TaskInfo(String id, String agentType, TaskState state, int attempts, int maxAttempts, int deliveries,
      Instant createdAt, Instant scheduledAt, Instant startedAt, Instant finishedAt, String payloadJson,
      String resultJson, TaskError lastError, List<TaskError> history, String deadReason, Map<String, String> headers,
      String waitingFor, String parkedReason) {
    this(id, agentType, state, attempts, maxAttempts, deliveries, createdAt, scheduledAt, startedAt, finishedAt,
        payloadJson, resultJson, lastError, history, deadReason, headers, waitingFor, parkedReason, null);
  }

  /**
   * A stand-in for a record Baton cannot read, for listings.
   *
   * @param id the task id
   * @param agentType the queue it was listed in
   * @param state the state it was listed under (a dead letter: {@link TaskState#DEAD})
   * @param deadReason its dead reason if that field was readable, else null
   * @param why why the record cannot be read
   * @return a record with only these fields, zero counters and no history
   */
  public static TaskInfo malformed(String id, String agentType, TaskState state, String deadReason, String why) {
    return new TaskInfo(id, agentType, state, 0, 0, 0, null, null, null, null, null, null, null, List.of(), deadReason,
        Map.of(), null, null, why == null ? "unreadable" : why);
  }

  /**
   * Whether this record could be read.
   *
   * @return true when {@link #malformed()} is non-null
   */
  public boolean isMalformed() {
    return malformed != null;
  }
}
