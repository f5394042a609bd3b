package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.BudgetCheck.Grant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker of the cross-process token-budget test flags what a broken limiter would do. */
class BudgetCheckTest {
  @Test
  void grantsWithinTheBudgetPass() {
    List<Grant> log = List.of(new Grant(0, 600, 600, 10), new Grant(5_000, 400, 300, 5_010),
        new Grant(10_000, 700, 700, 10_010)); // the first has left the window by then
    BudgetCheck.Report r = BudgetCheck.check(log, 1000, 10_000);
    assertThat(r.breaches()).isEmpty();
    assertThat(r.maxUnits()).isEqualTo(1000);
    assertThat(r.maxOvershoot()).isZero();
  }

  @Test
  void aGrantIntoAFullWindowIsABreach() {
    List<Grant> log = List.of(new Grant(0, 600, 600, 10), new Grant(5_000, 500, 500, 5_010));
    assertThat(BudgetCheck.check(log, 1000, 10_000).breaches()).hasSize(1);
  }

  @Test
  void chargesReconciledAfterTheLastGrantAreAllowedAndCounted() {
    // both in flight when the second was granted; both then charged
    List<Grant> log = List.of(new Grant(0, 500, 700, 20), new Grant(5, 500, 650, 30));
    BudgetCheck.Report r = BudgetCheck.check(log, 1000, 10_000);
    assertThat(r.breaches()).isEmpty();
    assertThat(r.maxOvershoot()).isEqualTo(350);
    assertThat(r.largestCharge()).isEqualTo(200);
    assertThat(r.windowsOverByMoreThanOneCharge()).isEqualTo(1);
  }

  @Test
  void aChargeReconciledBeforeTheLastGrantMustHaveBeenSeenByIt() {
    // the first call's charge was recorded before the second grant: the second should have waited
    List<Grant> log = List.of(new Grant(0, 500, 800, 3), new Grant(5, 300, 300, 30));
    assertThat(BudgetCheck.check(log, 1000, 10_000).breaches()).hasSize(1);
  }
}
