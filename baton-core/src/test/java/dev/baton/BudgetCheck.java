package dev.baton;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Checks a log of granted reservations against a sliding-window budget, window by window (a window
 * [a, a + interval) starting at every grant; the busiest window always starts at one).
 *
 * <p>The limiter's promise: when the last reservation of a window was granted, the units the window
 * then held (estimates of calls in flight, real units of calls already reconciled) plus its own
 * estimate fit in the budget. Whatever the window holds beyond that came from reconciliations made
 * afterwards. So, for every window, {@code sum of real units - sum of (real - estimate) of the
 * reservations reconciled after that last grant <= budget}; a reconciliation in the same
 * millisecond as the grant counts only if it charged (its order is unknown).
 */
final class BudgetCheck {
  /** One granted call: Redis times in ms. */
  record Grant(long grantedAt, long estimate, long actual, long reconciledAt) {
    long charge() {
      return Math.max(0, actual - estimate);
    }
  }

  /**
   * @param windows windows checked (one per grant)
   * @param maxUnits most real units in one window
   * @param maxOvershoot most real units over the budget in one window (0 if never over)
   * @param largestCharge largest single reconciliation charge in the log
   * @param windowsOverByMoreThanOneCharge windows over the budget by more than the largest single charge
   * @param breaches windows where the limiter broke its promise (must be empty)
   */
  record Report(int windows, long maxUnits, long maxOvershoot, long largestCharge, int windowsOverByMoreThanOneCharge,
      List<String> breaches) {}

  private BudgetCheck() {}

  static Report check(List<Grant> log, long budget, long intervalMs) {
    List<Grant> g = new ArrayList<>(log);
    g.sort(Comparator.comparingLong(Grant::grantedAt));
    long largestCharge = g.stream().mapToLong(Grant::charge).max().orElse(0);
    long maxUnits = 0;
    long maxOver = 0;
    int overByMore = 0;
    List<String> breaches = new ArrayList<>();
    int j = 0;
    for (int i = 0; i < g.size(); i++) {
      long start = g.get(i).grantedAt();
      j = Math.max(j, i);
      while (j < g.size() && g.get(j).grantedAt() < start + intervalMs) {
        j++;
      }
      long last = g.get(j - 1).grantedAt();
      long units = 0;
      long later = 0;
      for (int x = i; x < j; x++) {
        Grant r = g.get(x);
        units += r.actual();
        if (r.reconciledAt() > last) {
          later += r.actual() - r.estimate();
        } else if (r.reconciledAt() == last) {
          later += r.charge();
        }
      }
      maxUnits = Math.max(maxUnits, units);
      maxOver = Math.max(maxOver, units - budget);
      if (units - budget > largestCharge) {
        overByMore++;
      }
      if (units - later > budget) {
        breaches.add("window from " + start + " ms: " + units + " units, " + later
            + " of them from later reconciliations, budget " + budget);
      }
    }
    return new Report(g.size(), maxUnits, Math.max(0, maxOver), largestCharge, overByMore, breaches);
  }
}
