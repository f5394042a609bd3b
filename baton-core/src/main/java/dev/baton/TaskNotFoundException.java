package dev.baton;

/**
 * No task with that id exists (never enqueued, or its finished record expired or was purged).
 * Immutable.
 */
public final class TaskNotFoundException extends BatonException {
  private static final long serialVersionUID = 1L;

  /**
   * An exception naming the missing task.
   *
   * @param id the task id looked for
   */
  public TaskNotFoundException(String id) {
    super("task not found: " + id);
  }
}
