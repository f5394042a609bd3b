package dev.baton.testing;

import java.time.Duration;

/**
 * Runs one pass of a worker's background loops on demand, for tests, after db-scheduler's {@code
 * ManualScheduler}. Get it from {@code Worker.manualLoops()} on a worker built with {@code
 * Worker.Builder.manualLoops()}: such a worker starts no thread for these loops, so nothing
 * promotes, recovers, cleans up, releases or renews a lease unless the test says so. Its fetch loops
 * (one per agent type) and its outcome writer run as usual.
 *
 * <p>Each method runs the same pass the loop runs, on the calling thread, and returns the pause the
 * loop would take before its next pass. Unlike the loop, it lets a failed pass's exception through
 * (for instance {@code dev.baton.RedisUnavailableException}), after the pass did what it does on a
 * failure. Thread-safe: passes of one loop never overlap (a second call waits for the first); passes
 * of different loops may run at once, as they do in a running worker. Calls before {@code start()}
 * or after {@code shutdown} run the pass all the same.
 */
public interface ManualLoops {
  /**
   * One pass of the promoter: moves every due scheduled or retrying task to its stream.
   *
   * @return the pause the loop would take before its next pass
   */
  Duration runPromoterOnce();

  /**
   * One pass of the recoverer: takes over tasks whose lease ran out (Redis pending-entry idle time)
   * and dead-letters those delivered too often, unless it is within its grace after an outage.
   *
   * @return the pause the loop would take before its next pass
   */
  Duration runRecovererOnce();

  /**
   * One pass of the janitor: dead-letter cap, idle consumers, and one page of the trim audit per agent type.
   *
   * @return the pause the loop would take before its next pass
   */
  Duration runJanitorOnce();

  /**
   * One pass of the unparker (unpark.lua): hands parked tasks back to their stream in waves, holds
   * them while their breaker blocks, and dead-letters those past their max wait.
   *
   * @return the pause the loop would take before its next pass
   */
  Duration runUnparkerOnce();

  /**
   * One round of heartbeats: renews the lease of every running task, waiting up to half a heartbeat
   * interval (real time) for the replies, then cancels tasks whose lease was not renewed for the
   * lease minus one heartbeat interval on the worker's clock.
   *
   * @return the pause the loop would take before its next pass
   */
  Duration runHeartbeatsOnce();

  /**
   * One check of the dataset epoch marker (reports a Redis that lost Baton's data).
   *
   * @return the pause the loop would take before its next pass
   */
  Duration runDatasetWatchOnce();
}
