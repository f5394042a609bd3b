package dev.baton.internal.server;

import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Layout;
import dev.baton.internal.scripts.RecoveryV2Scripts;
import dev.baton.internal.scripts.SchedulingScripts;
import java.time.Duration;
import java.util.List;

/**
 * Moves due tasks (scheduled, or retrying after backoff) from the delayed set to the stream. Any
 * number of promoters may run at once: the promote script moves a member only if its own ZREM
 * removed it, so a task is never lost nor added twice. Due times are Redis server time.
 */
public final class Promoter {
  static final int BATCH = 200;

  private final SchedulingScripts scripts;
  /** Layout 2's promotion ({@link Layout}); null on layout 1. */
  private final RecoveryV2Scripts v2;
  private final List<String> queues;
  private final Duration maxPause;
  private final QueueIsolation isolation;

  public Promoter(RedisBroker broker, List<String> queues, Duration maxPause) {
    this.scripts = new SchedulingScripts(broker);
    this.v2 = Layout.v2() ? new RecoveryV2Scripts(broker) : null;
    this.isolation = new QueueIsolation("promoter", broker.keys().prefix());
    this.queues = List.copyOf(queues);
    this.maxPause = maxPause;
  }

  /**
   * Promotes everything due in every queue; returns the pause until the next is due (capped). A
   * queue that fails (e.g. its delayed set is not a sorted set) is logged and skipped: the other
   * queues are promoted in the same pass (see {@link QueueIsolation}).
   */
  public Duration runOnce() {
    long pause = maxPause.toMillis();
    for (String queue : queues) {
      long next = isolation.call(queue, () -> promoteQueue(queue), -1L);
      if (next >= 0) {
        pause = Math.min(pause, next);
      }
    }
    return Duration.ofMillis(Math.max(1, pause));
  }

  /** Returns ms until the queue's next due task, or -1 if none waits. */
  long promoteQueue(String queue) {
    while (true) {
      SchedulingScripts.Due due = scripts.due(queue, BATCH);
      long next = due.msUntilNextDue();
      if (!due.ids().isEmpty()) {
        if (v2 != null) {
          v2.promote(queue, due.ids());
        } else {
          scripts.promote(queue, due.ids());
        }
      }
      if (next != 0) {
        return next;
      }
    }
  }
}
