package dev.baton;

/** No task with that id exists (never enqueued, or its finished record expired or was purged). */
public final class TaskNotFoundException extends BatonException {
  private static final long serialVersionUID = 1L;

  public TaskNotFoundException(String id) {
    super("task not found: " + id);
  }
}
