package dev.baton.internal.server;

import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.Registry;
import java.time.Duration;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices when Redis lost Baton's data (restarted without persistence, flushed, failed over to an
 * empty replica) and says so loudly instead of silently starting over. The first worker writes a
 * random epoch marker; every worker remembers the one it saw and checks it periodically. A missing
 * or different marker means the dataset this worker knew is gone: tasks that were queued, running
 * or dead-lettered before are lost, and the operator must know.
 */
public final class DatasetWatch {
  private static final Logger log = LoggerFactory.getLogger(DatasetWatch.class);

  private final Registry registry;
  private final Duration period;
  private volatile String epoch;
  private volatile long losses;

  public DatasetWatch(RedisBroker broker, Duration period) {
    this.registry = new Registry(broker);
    this.period = period;
  }

  /** Reads (or creates) the marker at start. */
  public void start() {
    epoch = registry.epoch(UUID.randomUUID().toString());
  }

  public Duration runOnce() {
    String seen = registry.epoch(UUID.randomUUID().toString());
    if (epoch != null && !epoch.equals(seen)) {
      losses++;
      log.error("REDIS DATA LOST: Baton's epoch marker changed from {} to {} - Redis restarted without persistence, "
          + "was flushed or failed over to a replica without the data. Tasks queued, running or dead-lettered "
          + "before that moment are gone and will not finish. Check Redis persistence (appendonly yes).", epoch, seen);
    }
    epoch = seen;
    return period;
  }

  /** How many times this worker saw the dataset disappear. */
  public long losses() {
    return losses;
  }
}
