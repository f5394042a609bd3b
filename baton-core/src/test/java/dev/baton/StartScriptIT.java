package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.Script;
import dev.baton.internal.codec.WireFormat;
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
    String eid = raw.xreadgroup(Consumer.from(Keys.GROUP, ME), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)))
        .get(0).getId();

    List<Object> first = start(baton, eid, id);
    List<Object> retry = start(baton, eid, id); // as if the first reply had been lost

    assertThat(first.get(0)).isEqualTo(1L);
    assertThat(retry.get(0)).isEqualTo(1L);
    Map<String, String> a = fields(first), b = fields(retry);
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
    String eid = raw.xreadgroup(Consumer.from(Keys.GROUP, ME), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)))
        .get(0).getId();
    assertThat(baton.dispatcher().cancel(Q, id)).isEqualTo(TaskState.CANCELLED); // delivered, not started

    List<Object> r = start(baton, eid, id);

    assertThat(r.get(0)).isEqualTo(0L);
    assertThat(raw.hget(k.task(Q, id), "st")).isEqualTo("cancelled");
    assertThat(raw.hget(k.task(Q, id), "att")).isEqualTo("0");
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xlen(k.stream(Q))).isZero();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> start(BatonClient baton, String eid, String id) {
    Keys k = baton.broker().keys();
    List<Object> all = baton.broker().runSync(Script.START,
        new String[] {k.stream(Q), k.dead(Q), k.stats(Q), k.task(Q, id)},
        Keys.GROUP, ME, k.finishedChannel(Q), eid, id);
    return (List<Object>) all.get(0);
  }

  private static Map<String, String> fields(List<Object> reply) {
    return WireFormat.startedRecord((List<?>) reply.get(1));
  }
}
