package dev.baton.internal.scripts;

import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.TaskScripts.Attempt;
import dev.baton.internal.scripts.TaskScripts.FailMode;
import dev.baton.internal.scripts.TaskScripts.ParkKind;
import dev.baton.internal.scripts.TaskScripts.Written;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@link TaskTransitions} on layout 2: an attempt's {@link Attempt#deliveryToken()} is its token.
 * A task whose dependency is unavailable is parked (v2/park.lua); the unparker hands it back
 * (v2/unpark.lua).
 */
final class V2Transitions implements TaskTransitions {
  /** A plain release is never refused for the fault cap. */
  private static final int NO_CAP = Integer.MAX_VALUE;

  private final TaskV2Scripts scripts;

  V2Transitions(RedisBroker broker) {
    this.scripts = new TaskV2Scripts(broker);
  }

  private static TaskV2Scripts.Held held(Attempt a) {
    return new TaskV2Scripts.Held(a.id(), a.deliveryToken());
  }

  @Override
  public Written fail(String queue, Attempt task, FailMode mode, long retryDelayMillis, String attemptRecord,
      String deadReason) {
    TaskV2Scripts.Outcome o = mode == FailMode.RETRY
        ? scripts.retry(queue, held(task), attemptRecord, retryDelayMillis)
        : scripts.deadLetter(queue, held(task), attemptRecord, deadReason);
    return new Written(o.status(), o.state(), 0, o.unnotified());
  }

  @Override
  public Written park(String queue, Attempt task, String dependency, ParkKind kind, String reason, long afterMillis) {
    TaskV2Scripts.Outcome o = scripts.park(queue, held(task), dependency, reason, afterMillis,
        kind.name().toLowerCase(java.util.Locale.ROOT));
    return new Written(o.status(), o.state(), 0, o.unnotified());
  }

  @Override
  public List<String> release(String queue, String consumer, List<? extends Attempt> tasks) {
    List<TaskV2Scripts.Held> held = new ArrayList<>(tasks.size());
    for (Attempt a : tasks) {
      held.add(held(a));
    }
    List<ScriptStatus> r = scripts.release(queue, held, TaskV2Scripts.ReleaseKind.PLAIN, NO_CAP);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < r.size(); i++) {
      if (r.get(i) == ScriptStatus.OK) {
        ids.add(tasks.get(i).id());
      }
    }
    return ids;
  }

  @Override
  public TaskScripts.Released releaseForFault(String queue, String consumer, int maxFaultReleases,
      List<? extends Attempt> tasks) {
    List<TaskV2Scripts.Held> held = new ArrayList<>(tasks.size());
    for (Attempt a : tasks) {
      held.add(held(a));
    }
    List<ScriptStatus> r = scripts.release(queue, held, TaskV2Scripts.ReleaseKind.WORKER_FAULT, maxFaultReleases);
    List<String> released = new ArrayList<>();
    List<String> charged = new ArrayList<>();
    for (int i = 0; i < r.size(); i++) {
      if (r.get(i) == ScriptStatus.OK) {
        released.add(tasks.get(i).id());
      } else if (r.get(i) == ScriptStatus.UNCHANGED) {
        charged.add(tasks.get(i).id());
      }
    }
    return new TaskScripts.Released(released, charged);
  }

  @Override
  public CompletableFuture<List<ScriptStatus>> renew(String queue, String consumer, List<? extends Attempt> tasks) {
    List<TaskV2Scripts.Held> held = new ArrayList<>(tasks.size());
    for (Attempt a : tasks) {
      held.add(held(a));
    }
    return scripts.renewAsync(queue, consumer, held);
  }
}
