package dev.baton.internal.server;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic cleanup: keeps each dead-letter queue under its cap by purging the oldest dead letters,
 * and deletes consumers that hold nothing and have been idle for long (workers that are gone).
 * Finished task records expire by themselves (retention) and finished stream entries are deleted by
 * the outcome scripts.
 */
public final class Janitor {
  private static final Logger log = LoggerFactory.getLogger(Janitor.class);
  static final int BATCH = 500;

  private final RedisBroker broker;
  private final List<String> queues;
  private final long deadLetterCap;
  private final Duration period;
  private final String self;
  private final Duration consumerIdleLimit;

  public Janitor(RedisBroker broker, List<String> queues, long deadLetterCap, Duration period, String self,
      Duration consumerIdleLimit) {
    this.broker = broker;
    this.queues = List.copyOf(queues);
    this.deadLetterCap = deadLetterCap;
    this.period = period;
    this.self = self;
    this.consumerIdleLimit = consumerIdleLimit;
  }

  public Duration runOnce() {
    for (String queue : queues) {
      List<String> excess;
      while (!(excess = broker.deadOverCap(queue, deadLetterCap, BATCH)).isEmpty()) {
        Keys k = broker.keys();
        List<String> keys = new ArrayList<>(List.of(k.dead(queue)));
        excess.forEach(id -> keys.add(k.task(queue, id)));
        long n = broker.<Long>runSync(Script.PURGE, keys.toArray(String[]::new), excess.toArray(String[]::new));
        log.info("purged {} oldest dead letters of {} (cap {})", n, queue, deadLetterCap);
      }
      long pruned = broker.<Long>runSync(Script.PRUNE_CONSUMERS, new String[] {broker.keys().stream(queue)},
          Keys.GROUP, Long.toString(consumerIdleLimit.toMillis()), self);
      if (pruned > 0) {
        log.info("deleted {} idle consumer(s) of {} that held no task", pruned, queue);
      }
    }
    return period;
  }
}
