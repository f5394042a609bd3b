package dev.baton;

/**
 * A task was rejected before anything was written: an invalid agent type or task id, a payload
 * that is not JSON or is over the size limit, an invalid option. {@link #field()} names the input
 * at fault. Immutable.
 */
public final class InvalidTaskException extends BatonException {
  private static final long serialVersionUID = 1L;
  /** The rejected input. */
  private final String field;

  /**
   * An exception for the rejected input {@code field}.
   *
   * @param field the input at fault
   * @param message what is wrong with it, quoting the value
   */
  public InvalidTaskException(String field, String message) {
    super(field + ": " + message);
    this.field = field;
  }

  /**
   * The rejected input.
   *
   * @return {@code agentType}, {@code id}, {@code payload}, {@code headers}, ...
   */
  public String field() {
    return field;
  }
}
