package dev.baton;

/**
 * Redis could not be reached or did not answer within the command timeout. For a write (enqueue,
 * cancel, replay) the outcome is unknown: the command may have run before the connection failed.
 * Enqueue is idempotent on the task id, so retrying it with the same id is safe. Immutable.
 */
public final class RedisUnavailableException extends BatonException {
  private static final long serialVersionUID = 1L;

  /**
   * An exception for a failed or unanswered call.
   *
   * @param message what failed, and where
   * @param cause the Redis client's exception
   */
  public RedisUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
