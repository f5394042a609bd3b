package dev.baton.internal.scripts;

import dev.baton.internal.broker.Layout;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.TaskScripts.Attempt;
import dev.baton.internal.scripts.TaskScripts.FailMode;
import dev.baton.internal.scripts.TaskScripts.ParkKind;
import dev.baton.internal.scripts.TaskScripts.Written;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The worker's fenced writes about a delivery it holds, off the success path: failures, parking,
 * releases, lease renewals. One implementation per Redis layout ({@link TaskScripts} for layout 1,
 * {@link V2Transitions} for layout 2), chosen by {@link #of}; each method's contract is the one
 * {@link TaskScripts} documents.
 */
public interface TaskTransitions {
  Written fail(String queue, Attempt task, FailMode mode, long retryDelayMillis, String attemptRecord, String deadReason);

  Written park(String queue, Attempt task, String dependency, ParkKind kind, String reason, long afterMillis);

  List<String> release(String queue, String consumer, List<? extends Attempt> tasks);

  /** Releases for a worker fault, capped: see {@link TaskScripts#release(String, String, int, List)}. */
  TaskScripts.Released releaseForFault(String queue, String consumer, int maxFaultReleases,
      List<? extends Attempt> tasks);

  CompletableFuture<List<ScriptStatus>> renew(String queue, String consumer, List<? extends Attempt> tasks);

  /** The transitions of the layout this process runs ({@link Layout}). */
  static TaskTransitions of(RedisBroker broker) {
    return Layout.v2() ? new V2Transitions(broker) : new TaskScripts(broker);
  }
}
