package dev.baton.resilience;

import dev.baton.BatonException;

/**
 * A reservation asked for more units than a rate limit's whole budget: it could never be granted,
 * so it fails at once instead of waiting forever. Split the call, or raise the budget. Immutable.
 */
public final class EstimateTooLargeException extends BatonException {
  private static final long serialVersionUID = 1L;

  /** The units asked for. */
  private final long units;
  /** The limit's whole budget. */
  private final long budget;

  /**
   * An exception for a reservation of {@code units} against {@code budget}.
   *
   * @param limit the limit's name
   * @param units the units asked for
   * @param budget the limit's whole budget per interval
   */
  public EstimateTooLargeException(String limit, long units, long budget) {
    super("rate limit '" + limit + "': " + units + " units can never fit in its budget of " + budget);
    this.units = units;
    this.budget = budget;
  }

  /**
   * The units the reservation asked for.
   *
   * @return the units
   */
  public long units() {
    return units;
  }

  /**
   * The limit's whole budget per interval.
   *
   * @return the budget
   */
  public long budget() {
    return budget;
  }
}
