package dev.baton.internal.broker;

/**
 * Which Redis layout this process writes and reads: 1 (docs/data-model.md), or, while layout 2
 * (docs/hot-path-v2.md) is being built, 2 when the system property {@code baton.layout} is
 * {@code 2}. Transitional: layout 2 runs the worker's hot path (enqueue, the fetch cycle,
 * successes, failures, releases, heartbeats, recovery, promotion), parking and unparking, the
 * janitor (dead-letter cap, consumer pruning, audit of the index), the dead-letter commands
 * (listing, replay, purge) and the client's reads and cancellation ({@code Inspector.task}/{@code
 * stats}, {@code Dispatcher.result}/{@code cancel}); the CLI and dashboard read through those but
 * are not tested on it yet, so it is for measuring and testing only. Read when a client or worker
 * is built.
 */
public final class Layout {
  /** The system property that selects layout 2. */
  public static final String PROPERTY = "baton.layout";

  private Layout() {}

  /** True when this process runs layout 2. */
  public static boolean v2() {
    return "2".equals(System.getProperty(PROPERTY));
  }
}
