package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The start script, driven directly (seed, run, compare). The processor retries it when a call
 * fails, and a call whose reply was lost has already been applied: the retry must not lose the
 * task nor count a second attempt.
 */
class StartScriptIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final String ME = "worker-1";

  @Test
  void aRetriedStartHandsOutTheSameAttemptAndKeepsTheEntryPending() {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    String eid = readOne(raw, k);

    TaskScripts.StartReplies first = start(baton, eid, id);
    TaskScripts.StartReplies retry = start(baton, eid, id); // as if the first reply had been lost

    assertThat(first.status(0)).isEqualTo(ScriptStatus.OK);
    assertThat(retry.status(0)).isEqualTo(ScriptStatus.OK);
    Map<String, String> a = first.record(0), b = retry.record(0);
    assertThat(b).containsEntry("st", "running").containsEntry("own", ME).containsEntry("eid", eid);
    assertThat(b.get("dlv")).isEqualTo(a.get("dlv")).isEqualTo("1"); // same fencing token
    assertThat(b.get("att")).isEqualTo(a.get("att")).isEqualTo("1"); // no second attempt counted
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isEqualTo(1);
    assertThat(raw.xlen(k.stream(Q))).isEqualTo(1);
  }

  @Test
  void anEntryOfACancelledTaskIsAcknowledgedWithoutStarting() {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    String eid = readOne(raw, k);
    assertThat(baton.dispatcher().cancel(Q, id)).isEqualTo(TaskState.CANCELLED); // delivered, not started

    TaskScripts.StartReplies r = start(baton, eid, id);

    assertThat(r.status(0)).isEqualTo(ScriptStatus.SKIPPED);
    assertThat(r.reason(0)).isEqualTo("not runnable: state cancelled");
    assertThat(raw.hget(k.task(Q, id), "st")).isEqualTo("cancelled");
    assertThat(raw.hget(k.task(Q, id), "att")).isEqualTo("0");
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xlen(k.stream(Q))).isZero();
  }

  @Test
  void aRecordInAStateBatonDoesNotKnowIsDeadLetteredWithTheReasonNotDroppedSilently() {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    String eid = readOne(raw, k);
    raw.hset(k.task(Q, id), "st", "paused"); // written by something outside Baton

    TaskScripts.StartReplies r = start(baton, eid, id);

    assertThat(r.status(0)).isEqualTo(ScriptStatus.DEAD_LETTERED);
    assertThat(r.reason(0)).isEqualTo("unknown task state");
    assertThat(r.unnotified(0)).isNull();
    Map<String, String> rec = raw.hgetall(k.task(Q, id));
    assertThat(rec).containsEntry("st", "dead").containsEntry("why", "unknown task state 'paused'")
        .containsEntry("att", "0").containsKey("ft");
    assertThat(raw.zscore(k.dead(Q), id)).isNotNull();
    assertThat(raw.hget(k.stats(Q), "dead")).isEqualTo("1");
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xlen(k.stream(Q))).isZero();
  }

  @Test
  void aBatchIsDecidedBeforeItIsWrittenSoTwoEntriesOfOneMissingRecordMakeOneTombstone() {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    raw.xadd(k.stream(Q), "t", id); // a second entry of the same task
    raw.del(k.task(Q, id)); // and its record gone
    List<String> eids = raw.xreadgroup(Consumer.from(Keys.GROUP, ME), XReadArgs.Builder.count(2),
        XReadArgs.StreamOffset.lastConsumed(k.stream(Q))).stream().map(m -> m.getId()).toList();

    TaskScripts.StartReplies r = new TaskScripts(baton.broker()).start(Q, ME, eids, List.of(id, id));

    assertThat(r.status(0)).isEqualTo(ScriptStatus.DEAD_LETTERED);
    assertThat(r.status(1)).isEqualTo(ScriptStatus.SKIPPED);
    assertThat(r.reason(1)).isEqualTo("not runnable: state dead");
    assertThat(raw.hget(k.task(Q, id), "why")).startsWith("task record missing for stream entry ");
    assertThat(raw.hget(k.stats(Q), "dead")).isEqualTo("1");
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xlen(k.stream(Q))).isZero();
  }

  /** Reads the next entry of the queue as this test's consumer; returns its entry id. */
  private static String readOne(RedisCommands<String, String> raw, Keys k) {
    return raw.xreadgroup(Consumer.from(Keys.GROUP, ME), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)))
        .get(0).getId();
  }

  private static TaskScripts.StartReplies start(BatonClient baton, String eid, String id) {
    TaskScripts.StartReplies r = new TaskScripts(baton.broker()).start(Q, ME, List.of(eid), List.of(id));
    assertThat(r.size()).isEqualTo(1);
    return r;
  }
}
