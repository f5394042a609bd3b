package dev.baton.internal.scripts;

import dev.baton.BatonException;
import dev.baton.TaskNotFoundException;
import dev.baton.resilience.EstimateTooLargeException;
import dev.baton.resilience.PermitLostException;

/**
 * The one place where a script's status becomes an exception, for the operations whose callers
 * throw: a missing or unrunnable task (cancel, replay), a lost permit (permit-renew), an estimate
 * over the whole budget (rate-reserve). Each method returns for any status that is no error of its
 * kind, so a gateway calls it on every reply. Other statuses (a refused fence, a refusal) are
 * results, not errors: the gateways return them.
 */
final class ScriptErrors {
  private ScriptErrors() {}

  /**
   * @throws TaskNotFoundException for {@link ScriptStatus#NOT_FOUND}
   * @throws BatonException for {@link ScriptStatus#TOMBSTONE}
   */
  static void throwIfTaskError(ScriptStatus status, String id) {
    switch (status) {
      case NOT_FOUND -> throw new TaskNotFoundException(id);
      case TOMBSTONE -> throw new BatonException(
          "task " + id + " is a tombstone of an unreadable stream entry and cannot run; purge it");
      default -> {}
    }
  }

  /** @throws PermitLostException for {@link ScriptStatus#NOT_HELD} */
  static void throwIfPermitError(ScriptStatus status, String limit, String key, String token) {
    if (status == ScriptStatus.NOT_HELD) {
      throw new PermitLostException("permit " + token + " of limit '" + limit + "' key '" + key
          + "' is no longer held: released, or its lease ran out");
    }
  }

  /** @throws EstimateTooLargeException for {@link ScriptStatus#TOO_LARGE} */
  static void throwIfReservationError(ScriptStatus status, String limit, long units, long budget) {
    if (status == ScriptStatus.TOO_LARGE) {
      throw new EstimateTooLargeException(limit, units, budget);
    }
  }
}
