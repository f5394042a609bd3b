package dev.baton;

import java.time.Instant;

/**
 * One failed attempt, or the outcome record of a successful one ({@code errorClass} null).
 * Immutable.
 *
 * @param attempt 1-based attempt number
 * @param worker the consumer that ran it
 * @param startedAt when the attempt started (worker clock)
 * @param finishedAt when it ended (worker clock)
 * @param errorClass exception class name, null on success
 * @param message exception message (may be null)
 * @param stack a bounded excerpt of the stack trace (may be null)
 */
public record TaskError(
    int attempt,
    String worker,
    Instant startedAt,
    Instant finishedAt,
    String errorClass,
    String message,
    String stack) {

  /**
   * Whether this is the record of a successful attempt.
   *
   * @return true when {@code errorClass} is null
   */
  public boolean succeeded() {
    return errorClass == null;
  }
}
