package dev.baton;

/** Base of every exception Baton throws on purpose. */
public class BatonException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BatonException(String message) {
    super(message);
  }

  public BatonException(String message, Throwable cause) {
    super(message, cause);
  }
}
