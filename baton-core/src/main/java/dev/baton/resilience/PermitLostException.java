package dev.baton.resilience;

import dev.baton.BatonException;

/**
 * A permit could not be renewed because it is no longer held: it was released, or its lease ran out
 * (on the Redis clock) and its slot may already belong to another caller. The call it protected is
 * running outside the limit; stop it or acquire a new permit. Immutable.
 */
public final class PermitLostException extends BatonException {
  private static final long serialVersionUID = 1L;

  /**
   * An exception for a permit no longer held.
   *
   * @param message which permit, and why
   */
  public PermitLostException(String message) {
    super(message);
  }
}
