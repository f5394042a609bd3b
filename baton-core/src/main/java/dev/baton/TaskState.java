package dev.baton;

import java.util.Locale;

/**
 * The states of a task. {@link #SUCCEEDED}, {@link #DEAD} and {@link #CANCELLED} are terminal.
 *
 * <pre>
 * scheduled --due--&gt; queued --delivered--&gt; running --ok--&gt; succeeded
 *     |                 |                     |--error, attempts left--&gt; retrying --due--&gt; queued
 *     |                 |                     '--non-retryable or attempts exhausted--&gt; dead --replay--&gt; queued
 *     '--cancel--&gt; cancelled &lt;--cancel--------'  (retrying can be cancelled too)
 *
 * running --dependency unavailable, breaker open or rate-limited--&gt; parked --released--&gt; queued
 *   (the attempt is given back)            parked --max wait passed--&gt; dead;  parked --cancel--&gt; cancelled
 * </pre>
 *
 * <p>docs/data-model.md lists every transition and the script that makes it. Immutable and
 * thread-safe, as every enum.
 */
public enum TaskState {
  /** Enqueued with a delay or run-at time that has not come yet; in the delayed set. */
  SCHEDULED,
  /** Due, on its stream, waiting for a worker. */
  QUEUED,
  /** A worker holds it and runs an attempt, under a lease its heartbeat renews. */
  RUNNING,
  /** An attempt failed and attempts remain; waits in the delayed set for its backoff. */
  RETRYING,
  /** Terminal: an attempt returned; the result is stored until the retention passes. */
  SUCCEEDED,
  /** Terminal until replayed: non-retryable, out of attempts or deliveries, or past its max wait. */
  DEAD,
  /** Terminal: cancelled before it started. */
  CANCELLED,
  /** Waiting, out of the stream, for a dependency (breaker open, down, or rate-limited). */
  PARKED;

  /**
   * The name stored in Redis.
   *
   * @return the lower-case name, e.g. {@code "queued"}
   */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Whether the task is finished: succeeded, dead or cancelled.
   *
   * @return true for a terminal state
   */
  public boolean isTerminal() {
    return this == SUCCEEDED || this == DEAD || this == CANCELLED;
  }

  /**
   * Parses a stored name.
   *
   * @param wire a name as {@link #wireName()} returns it
   * @return the state
   * @throws IllegalArgumentException on anything else
   */
  public static TaskState fromWire(String wire) {
    for (TaskState s : values()) {
      if (s.wireName().equals(wire)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown task state '" + wire + "'");
  }
}
