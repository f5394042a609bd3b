package dev.baton.resilience;

import dev.baton.BatonException;


/**
 * A reservation asked for more units than a rate limit's whole budget: it could never be granted,
 * so it fails at once instead of waiting forever. Split the call, or raise the budget.
 */
public final class EstimateTooLargeException extends BatonException {
  private static final long serialVersionUID = 1L;

  private final long units;
  private final long budget;

  public EstimateTooLargeException(String limit, long units, long budget) {
    super("rate limit '" + limit + "': " + units + " units can never fit in its budget of " + budget);
    this.units = units;
    this.budget = budget;
  }

  public long units() {
    return units;
  }

  public long budget() {
    return budget;
  }
}
