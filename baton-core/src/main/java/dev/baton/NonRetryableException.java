package dev.baton;

/**
 * Thrown by a handler (or set as the cause of what it throws) to say that retrying cannot help:
 * the task goes straight to the dead-letter queue with this exception's message.
 */
public class NonRetryableException extends BatonException {
  private static final long serialVersionUID = 1L;

  public NonRetryableException(String message) {
    super(message);
  }

  public NonRetryableException(String message, Throwable cause) {
    super(message, cause);
  }
}
