package dev.baton;

/**
 * Recorded as the error of an attempt that outlived its timeout; the handler was interrupted.
 * Immutable.
 */
public final class TaskTimeoutException extends BatonException {
  private static final long serialVersionUID = 1L;

  /**
   * A timeout record.
   *
   * @param message which deadline passed
   */
  public TaskTimeoutException(String message) {
    super(message);
  }
}
