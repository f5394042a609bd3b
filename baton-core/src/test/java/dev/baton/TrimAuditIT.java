package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.internal.server.Janitor;
import dev.baton.internal.server.Recoverer;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * F14: stream entries deleted outside Baton (a raw {@code XTRIM}, a {@code MAXLEN} set by another
 * client). Baton itself never trims: it deletes an entry only in the script that moves its task on.
 * A task whose entry was trimmed before any worker read it, or while it ran, would wait forever; the
 * janitor's audit dead-letters it with the reason, and the dead letter can be replayed. Tasks whose
 * entries are intact are left alone, and an entry still pending is left to the recoverer.
 *
 * <p>Protection checked: the audit (without it the trimmed tasks stay "queued" or "running"
 * forever, and nothing reports them).
 */
class TrimAuditIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "trimmed";

  @Test
  void tasksWhoseEntriesWereTrimmedAreDeadLetteredWithTheReasonAndCanBeReplayed() throws Exception {
    BatonClient baton = redis.client();
    RedisCommands<String, String> raw = redis.raw();
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    Keys k = broker.keys();
    Janitor janitor = new Janitor(broker, List.of(Q), 10_000, Duration.ofSeconds(30), "janitor",
        Worker.CONSUMER_IDLE_LIMIT);

    List<String> trimmed = enqueue(baton, 10);
    // a ghost worker reads and starts one more task, which is running when its entry is deleted
    String running = enqueue(baton, 1).get(0);
    List<StreamMessage<String, String>> read = raw.xreadgroup(Consumer.from(Keys.GROUP, "ghost"),
        XReadArgs.Builder.count(100), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)));
    assertThat(read).hasSize(11);
    // the ten others go back undelivered: only the ghost's running task stays pending
    StreamMessage<String, String> runningEntry = read.stream().filter(e -> e.getBody().get("t").equals(running))
        .findFirst().orElseThrow();
    for (StreamMessage<String, String> e : read) {
      if (e != runningEntry) {
        raw.xack(k.stream(Q), Keys.GROUP, e.getId());
      }
    }
    assertThat(new TaskScripts(broker).start(Q, "ghost", List.of(runningEntry.getId()), List.of(running)).status(0))
        .isEqualTo(ScriptStatus.OK);
    assertThat(baton.inspector().task(running).state()).isEqualTo(TaskState.RUNNING);

    raw.xtrim(k.stream(Q), 0); // someone trims the stream to nothing
    List<String> intact = enqueue(baton, 5);

    auditFullPass(janitor);
    for (String id : trimmed) {
      TaskInfo t = baton.inspector().task(id);
      assertThat(t.state()).as("task %s", id).isEqualTo(TaskState.DEAD);
      assertThat(t.deadReason()).startsWith("stream entry ").endsWith(" deleted outside Baton while the task was queued (trimmed?)");
    }
    for (String id : intact) {
      assertThat(baton.inspector().task(id).state()).isEqualTo(TaskState.QUEUED);
    }
    // still pending in the ghost's name: the recoverer's business first
    assertThat(baton.inspector().task(running).state()).isEqualTo(TaskState.RUNNING);

    Thread.sleep(5); // idle past the 1 ms lease below (Redis-side idle time)
    new Recoverer(broker, List.of(new Recoverer.Target(Q, Duration.ofMillis(1), 5)), Duration.ZERO).runOnce();
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    auditFullPass(janitor);
    TaskInfo lostRunning = baton.inspector().task(running);
    assertThat(lostRunning.state()).isEqualTo(TaskState.DEAD);
    assertThat(lostRunning.deadReason()).endsWith(" deleted outside Baton while the task was running (trimmed?)");

    // the recoverer's tombstone for the entry, and the eleven tasks
    assertThat(baton.inspector().stats(Q).dead()).isEqualTo(12);
    // a second pass finds nothing more
    assertThat(auditFullPass(janitor)).isZero();

    // a dead letter of this kind is replayable: it runs again from a fresh entry
    assertThat(baton.inspector().replay(Q, trimmed.get(0))).isTrue();
    assertThat(baton.inspector().task(trimmed.get(0)).state()).isEqualTo(TaskState.QUEUED);
    assertThat(auditFullPass(janitor)).isZero();
    assertThat(baton.inspector().task(trimmed.get(0)).state()).isEqualTo(TaskState.QUEUED);
  }

  private static List<String> enqueue(BatonClient baton, int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id());
    }
    return ids;
  }

  /** Audit rounds until the SCAN cursor has gone round once; returns the tasks dead-lettered. */
  private static long auditFullPass(Janitor janitor) {
    long lost = janitor.audit(Q);
    while (!janitor.auditPassEnded(Q)) {
      lost += janitor.audit(Q);
    }
    return lost;
  }
}
