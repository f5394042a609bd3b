package dev.baton.internal.server;

import dev.baton.RedisUnavailableException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one queue's failure inside that queue for a loop that walks every queue (promoter, janitor,
 * recoverer, unparker): a queue whose keys Redis refuses (a key of the wrong type, a script error,
 * an unreadable reply, a key the ACL user may not touch) is logged with its keys, at most once per
 * {@link #LOG_EVERY} per queue with a count of the failures held back, and the pass goes on with the
 * next queue. Without it, one broken queue stops every queue after it in the list: a scheduled task
 * of a healthy queue waits as long as the broken one stays broken.
 *
 * <p>{@link RedisUnavailableException} is not a queue's failure but Redis's: it ends the pass (the
 * next queues would each wait out the command timeout), and the loop backs off as it does for any
 * failed pass. Errors ({@link Error}) are not caught either.
 *
 * <p>Not thread-safe: one instance per component, used by its single loop (or by the serialized
 * manual passes).
 */
final class QueueIsolation {
  private static final Logger log = LoggerFactory.getLogger(QueueIsolation.class);
  static final Duration LOG_EVERY = Duration.ofSeconds(60);

  private final String component;
  private final String keyPrefix;
  private final LongSupplier nanoTime;
  private final Map<String, long[]> lastLogged = new HashMap<>();

  /**
   * Isolation for one component's passes, rate-limited on the system clock.
   *
   * @param component the loop's name in log lines (e.g. "promoter")
   * @param keyPrefix the deployment's key prefix, to name the queue's keys in the log line
   */
  QueueIsolation(String component, String keyPrefix) {
    this(component, keyPrefix, System::nanoTime);
  }

  QueueIsolation(String component, String keyPrefix, LongSupplier nanoTime) {
    this.component = component;
    this.keyPrefix = keyPrefix;
    this.nanoTime = nanoTime;
  }

  /**
   * Runs {@code work} for {@code queue}; on a failure of that queue logs it (rate-limited) and
   * returns {@code onFailure}.
   *
   * @throws RedisUnavailableException when Redis cannot be reached or does not answer
   */
  <T> T call(String queue, Supplier<T> work, T onFailure) {
    try {
      return work.get();
    } catch (RedisUnavailableException e) {
      throw e;
    } catch (RuntimeException e) {
      failed(queue, e);
      return onFailure;
    }
  }

  /** As {@link #call}, for work without a result; returns false when the queue failed. */
  boolean run(String queue, Runnable work) {
    return call(queue, () -> {
      work.run();
      return Boolean.TRUE;
    }, Boolean.FALSE);
  }

  private void failed(String queue, RuntimeException e) {
    long now = nanoTime.getAsLong();
    long[] state = lastLogged.computeIfAbsent(queue, q -> new long[] {0, 0, 0}); // {logged?, at, held back}
    if (state[0] == 0 || now - state[1] >= LOG_EVERY.toNanos()) {
      log.error("{}: queue '{}' (keys {}) failed and was skipped this pass; the other queues go on "
              + "({} similar failure(s) of this queue held back): {}",
          component, queue, keyPrefix + ":{" + queue + "}:*", state[2], e.toString(), e);
      state[0] = 1;
      state[1] = now;
      state[2] = 0;
    } else {
      state[2]++;
    }
  }
}
