package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.internal.server.Recoverer;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.ScriptDriver;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batched complete script, driven directly: each task of a batch is fenced on its own, so a
 * stale owner's completion in a batch is refused and writes nothing while the others are recorded,
 * and the finished channel names exactly the recorded tasks.
 */
class CompleteBatchIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "batch";
  private static final String ME = "worker-1";

  @Test
  void aStaleCompletionInABatchIsRefusedWhileTheOthersAreRecorded() throws Exception {
    BatonClient baton = redis.client();
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    Keys k = broker.keys();
    RedisCommands<String, String> raw = redis.raw();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ids.add(baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"i\":" + i + "}").build()).id());
    }
    Map<String, String[]> held = startAs(broker, raw, ME, 4);
    String a = ids.get(0), stale = ids.get(1), c = ids.get(2), gone = ids.get(3);

    // "stale" is taken over: its lease runs out and it is requeued under a new entry, then started
    // again; the first holder's token no longer matches
    Thread.sleep(5); // idle longer than the 1 ms lease (Redis-side idle time)
    new Recoverer(broker, List.of(new Recoverer.Target(Q, Duration.ofMillis(1), 5)), Duration.ZERO).runOnce();
    // the recoverer requeues every idle entry: the others are queued again too, so restart them as ME
    Map<String, String[]> again = startAs(broker, raw, ME, 4);
    held.put(a, again.get(a));
    held.put(c, again.get(c));
    held.put(gone, again.get(gone));
    String[] newer = again.get(stale);
    assertThat(newer[0]).isNotEqualTo(held.get(stale)[0]);
    raw.del(k.task(Q, gone)); // a record that disappeared (purged by hand)

    BlockingQueue<String> published = redis.subscribe(k.finishedChannel(Q));
    TaskScripts.CompleteReplies reply = complete(broker, List.of(a, stale, c, gone), held);

    assertThat(reply.size()).isEqualTo(4);
    assertThat(reply.status(0)).isEqualTo(ScriptStatus.OK);
    assertThat(reply.status(1)).isEqualTo(ScriptStatus.NOT_HELD);
    assertThat(reply.state(1)).isEqualTo("running");
    assertThat(reply.status(2)).isEqualTo(ScriptStatus.OK);
    assertThat(reply.status(3)).isEqualTo(ScriptStatus.NOT_FOUND);
    for (String id : List.of(a, c)) {
      Map<String, String> rec = raw.hgetall(k.task(Q, id));
      assertThat(rec).containsEntry("st", "succeeded").containsEntry("r", "\"ok\"").containsEntry("own", ME);
      assertThat(rec.get("hist")).isEqualTo("[{\"a\":1,\"w\":\"" + ME + "\",\"s\":0,\"f\":0}]");
      assertThat(raw.ttl(k.task(Q, id))).isPositive();
    }
    // the stale completion wrote nothing: the current attempt is untouched and still pending
    Map<String, String> current = raw.hgetall(k.task(Q, stale));
    assertThat(current).containsEntry("st", "running").containsEntry("eid", newer[0]).containsEntry("dlv", newer[1])
        .doesNotContainKey("r").doesNotContainKey("hist");
    assertThat(raw.ttl(k.task(Q, stale))).isEqualTo(-1);
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isEqualTo(2); // stale's new entry, gone's
    assertThat(raw.hget(k.stats(Q), "succeeded")).isEqualTo("2");
    assertThat(published.poll(5, TimeUnit.SECONDS)).isEqualTo(a + " " + c);
    assertThat(published.poll(200, TimeUnit.MILLISECONDS)).isNull();

    // the new holder's completion of the same task still goes through, and a repeat of the batch
    // (a lost reply, re-sent) is refused for every task without counting anything twice
    held.put(stale, newer);
    assertThat(complete(broker, List.of(stale), held).status(0)).isEqualTo(ScriptStatus.OK);
    TaskScripts.CompleteReplies repeat = complete(broker, List.of(a, stale, c), held);
    for (int i = 0; i < 3; i++) {
      assertThat(repeat.status(i)).isEqualTo(ScriptStatus.NOT_HELD);
      assertThat(repeat.state(i)).isEqualTo("succeeded");
    }
    assertThat(raw.hget(k.stats(Q), "succeeded")).isEqualTo("3");
    assertThat(published.poll(5, TimeUnit.SECONDS)).isEqualTo(stale);
    assertThat(published.poll(200, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void aBulkEnqueueCreatesEachTaskAsIfAloneAndCountsEachOnce() {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    baton.dispatcher().enqueue(TaskRequest.builder(Q).id("old").build());
    List<TaskRequest> requests = new ArrayList<>();
    for (int i = 0; i < 250; i++) { // three calls of at most 100
      requests.add(TaskRequest.builder(Q).id("t" + i).payloadJson("{\"i\":" + i + "}").build());
    }
    requests.add(TaskRequest.builder(Q).id("old").build()); // exists already
    requests.add(TaskRequest.builder(Q).id("t7").build()); // repeated within the call
    requests.add(TaskRequest.builder(Q).id("d1").dedupKey("same").build());
    requests.add(TaskRequest.builder(Q).id("d2").dedupKey("same").build()); // key taken by d1
    requests.add(TaskRequest.builder("other").id("x").build()); // another agent type, its own call

    List<EnqueueResult> results = baton.dispatcher().enqueueAll(requests);

    assertThat(results).hasSize(requests.size());
    for (int i = 0; i < 250; i++) {
      assertThat(results.get(i).id()).isEqualTo("t" + i);
      assertThat(results.get(i).created()).isTrue();
      assertThat(raw.hget(k.task(Q, "t" + i), "p")).isEqualTo("{\"i\":" + i + "}");
    }
    assertThat(results.get(250).created()).isFalse();
    assertThat(results.get(251).created()).isFalse();
    assertThat(results.get(252).created()).isTrue();
    assertThat(results.get(253)).extracting(EnqueueResult::id, EnqueueResult::created).containsExactly("d1", false);
    assertThat(results.get(254)).extracting(EnqueueResult::agentType, EnqueueResult::created)
        .containsExactly("other", true);
    assertThat(raw.xlen(k.stream(Q))).isEqualTo(1 + 250 + 1);
    assertThat(raw.hget(k.stats(Q), "enqueued")).isEqualTo(Integer.toString(1 + 250 + 1));
    assertThat(raw.hget(k.task(Q, "t7"), "p")).isEqualTo("{\"i\":7}");
    assertThat(raw.exists(k.task(Q, "d2"))).isZero();
    assertThat(raw.hget(k.task("other", "x"), "st")).isEqualTo("queued");
  }

  private static Map<String, String[]> startAs(RedisBroker broker, RedisCommands<String, String> raw, String consumer,
      int n) {
    return ScriptDriver.startAs(broker, raw, Q, consumer, n);
  }

  private static TaskScripts.CompleteReplies complete(RedisBroker broker, List<String> ids,
      Map<String, String[]> held) {
    return ScriptDriver.complete(broker, Q, ids, held, "\"ok\"", "{\"a\":1,\"w\":\"" + ME + "\",\"s\":0,\"f\":0}");
  }
}
