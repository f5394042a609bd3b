package dev.baton.chaos;

import java.util.Optional;

/**
 * One line of a worker's history file: an execution of a task started or finished.
 *
 * <p>Line format, tab-separated: {@code ms event taskId attempt delivery worker outcome}, where
 * {@code ms} is wall-clock epoch milliseconds, {@code event} is {@code start} or {@code finish},
 * {@code delivery} is the record's delivery counter for this execution ({@code -1} when it could not
 * be read) and {@code outcome} is {@code -} for a start and {@code ok}, {@code error} or {@code
 * cancelled} for a finish.
 *
 * @param atMillis wall clock, epoch ms
 * @param kind start or finish
 * @param taskId the task
 * @param attempt the attempt number the handler saw
 * @param delivery the delivery number (fencing token), -1 if unknown
 * @param worker the consumer name of the worker incarnation
 * @param outcome null for a start
 */
public record HistoryEvent(long atMillis, Kind kind, String taskId, int attempt, long delivery, String worker,
    Outcome outcome) {

  public enum Kind {
    START,
    FINISH
  }

  /** How a handler ended: returned, threw, or was interrupted/cancelled. */
  public enum Outcome {
    OK,
    ERROR,
    CANCELLED
  }

  public static HistoryEvent start(long at, String taskId, int attempt, long delivery, String worker) {
    return new HistoryEvent(at, Kind.START, taskId, attempt, delivery, worker, null);
  }

  public static HistoryEvent finish(long at, String taskId, int attempt, long delivery, String worker, Outcome outcome) {
    return new HistoryEvent(at, Kind.FINISH, taskId, attempt, delivery, worker, outcome);
  }

  public String toLine() {
    return atMillis + "\t" + kind.name().toLowerCase() + "\t" + taskId + "\t" + attempt + "\t" + delivery + "\t"
        + worker + "\t" + (outcome == null ? "-" : outcome.name().toLowerCase()) + "\n";
  }

  /** Parses one line; empty for a malformed or torn line (a process killed mid-write). */
  public static Optional<HistoryEvent> parse(String line) {
    String[] f = line.split("\t", -1);
    if (f.length != 7) {
      return Optional.empty();
    }
    try {
      long at = Long.parseLong(f[0]);
      Kind kind = switch (f[1]) {
        case "start" -> Kind.START;
        case "finish" -> Kind.FINISH;
        default -> throw new IllegalArgumentException(f[1]);
      };
      Outcome outcome = switch (f[6]) {
        case "-" -> null;
        case "ok" -> Outcome.OK;
        case "error" -> Outcome.ERROR;
        case "cancelled" -> Outcome.CANCELLED;
        default -> throw new IllegalArgumentException(f[6]);
      };
      if ((kind == Kind.START) != (outcome == null) || f[2].isEmpty() || f[5].isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(new HistoryEvent(at, kind, f[2], Integer.parseInt(f[3]), Long.parseLong(f[4]), f[5], outcome));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
