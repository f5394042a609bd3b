package dev.baton;

/**
 * Thrown by a handler (or set as the cause of what it throws) to say that retrying cannot help:
 * the task goes straight to the dead-letter queue with this exception's message. A {@link
 * BatonException}, so {@code catch (BatonException e)} around Baton calls inside a handler also
 * catches it (rethrow it there). Not final: subclass it for your own permanent failures. Immutable.
 */
public class NonRetryableException extends BatonException {
  private static final long serialVersionUID = 1L;

  /**
   * A permanent failure with a message.
   *
   * @param message why retrying cannot help; recorded as the dead-letter reason
   */
  public NonRetryableException(String message) {
    super(message);
  }

  /**
   * A permanent failure with a message and a cause.
   *
   * @param message why retrying cannot help; recorded as the dead-letter reason
   * @param cause the underlying exception
   */
  public NonRetryableException(String message, Throwable cause) {
    super(message, cause);
  }
}
