package dev.baton.chaos;

import dev.baton.chaos.HistoryEvent.Outcome;

/**
 * One run of a handler, rebuilt from a start event and its finish event.
 *
 * @param taskId the task
 * @param worker consumer name of the worker incarnation
 * @param attempt attempt number the handler saw
 * @param delivery delivery number, -1 if unknown
 * @param startMillis start event time
 * @param endMillis finish event time; for an execution without a finish, the time its worker was
 *     killed or stopped, or the end of the run if neither
 * @param outcome null when there is no finish event (killed, or still running at the end)
 */
public record Execution(String taskId, String worker, int attempt, long delivery, long startMillis, long endMillis,
    Outcome outcome) {

  public boolean finishedOk() {
    return outcome == Outcome.OK;
  }

  public String describe() {
    return worker + " attempt " + attempt + " delivery " + (delivery < 0 ? "?" : Long.toString(delivery)) + " ["
        + startMillis + ".." + endMillis + "] " + (outcome == null ? "no finish" : outcome.name().toLowerCase());
  }
}
