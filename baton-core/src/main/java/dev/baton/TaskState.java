package dev.baton;

import java.util.Locale;

/**
 * The states of a task. {@link #SUCCEEDED}, {@link #DEAD} and {@link #CANCELLED} are terminal.
 *
 * <pre>
 * scheduled --due--> queued --delivered--> running --ok--> succeeded
 *     |                 |                     |--error, attempts left--> retrying --due--> queued
 *     |                 |                     '--non-retryable or attempts exhausted--> dead --replay--> queued
 *     '--cancel--> cancelled <--cancel--------'  (retrying can be cancelled too)
 *
 * running --dependency unavailable, breaker open or rate-limited--> parked --released--> queued
 *   (the attempt is given back)            parked --max wait passed--> dead;  parked --cancel--> cancelled
 * </pre>
 */
public enum TaskState {
  SCHEDULED,
  QUEUED,
  RUNNING,
  RETRYING,
  SUCCEEDED,
  DEAD,
  CANCELLED,
  /** Waiting, out of the stream, for a dependency (breaker open, down, or rate-limited). */
  PARKED;

  /** The name stored in Redis, e.g. {@code "queued"}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public boolean isTerminal() {
    return this == SUCCEEDED || this == DEAD || this == CANCELLED;
  }

  /** Parses a stored name; throws {@link IllegalArgumentException} on anything else. */
  public static TaskState fromWire(String wire) {
    for (TaskState s : values()) {
      if (s.wireName().equals(wire)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown task state '" + wire + "'");
  }
}
