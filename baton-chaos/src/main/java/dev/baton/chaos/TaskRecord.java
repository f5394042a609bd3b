package dev.baton.chaos;

import java.util.List;

/**
 * A task's record as read from Redis after the run, reduced to what the checker needs.
 *
 * @param id task id
 * @param state wire state ({@code succeeded}, {@code dead}, {@code queued}, ...)
 * @param deliveries the record's delivery counter {@code dlv} (layout 2: the index value's delivery
 *     number, or the record's {@code dn}); -1 when Redis keeps none (a finished task on layout 2)
 * @param attempts the record's attempt counter {@code att}
 * @param resultJson {@code r}, the stored result; null unless succeeded
 * @param history the record's attempt records {@code hist}, oldest first
 * @param deadReason {@code why}, null unless dead
 * @param reachable for a task that is not terminal: whether anything can still run it (its entry is
 *     in the stream, or it waits in the delayed set); a non-terminal task that is not reachable is lost
 */
public record TaskRecord(String id, String state, long deliveries, int attempts, String resultJson,
    List<Attempt> history, String deadReason, boolean reachable) {

  /** One element of {@code hist}: the attempt record a fenced outcome write appended. */
  public record Attempt(int attempt, String worker, long startedMillis, long finishedMillis, String errorClass) {
    public boolean succeeded() {
      return errorClass == null;
    }
  }

  public boolean isTerminal() {
    return state.equals("succeeded") || state.equals("dead") || state.equals("cancelled");
  }
}
