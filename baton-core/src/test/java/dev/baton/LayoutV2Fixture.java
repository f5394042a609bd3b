package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.CycleScripts.Isolation;
import dev.baton.internal.scripts.EnqueueScripts;
import dev.baton.internal.scripts.EnqueueV2Scripts;
import dev.baton.internal.scripts.EnqueueV2Scripts.NewTask;
import dev.baton.internal.scripts.RecoveryV2Scripts;
import dev.baton.internal.scripts.TaskV2Scripts;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.internal.scripts.WrongKeyTypeException;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.models.stream.PendingMessage;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/**
 * What the layout-v2 script tests share (docs/hot-path-v2.md): one queue of one test's Redis, the
 * v2 gateways, and raw Lettuce helpers to set up and inspect its keys. Built per test.
 */
final class LayoutV2Fixture {
  static final String Q = "v2";
  static final String A = "worker-a";
  static final String B = "worker-b";
  static final String PAYLOAD = "{\"doc\":\"s3://bucket/a.pdf\",\"words\":200}";
  static final long WINDOW = 604_800_000L;
  static final String ATTEMPT = "{\"n\":1,\"err\":\"boom\"}";

  final RedisExtension redis;
  /** The client the gateways run on (its inspector and dispatcher read layout 2 when the property is on). */
  final BatonClient baton;
  final Keys k;
  final RedisCommands<String, String> raw;
  final EnqueueV2Scripts enqueue;
  final CycleScripts cycle;
  final TaskV2Scripts tasks;
  final RecoveryV2Scripts recovery;

  LayoutV2Fixture(RedisExtension redis) {
    BatonClient baton = redis.client();
    this.baton = baton;
    this.redis = redis;
    this.k = new Keys(redis.prefix());
    this.raw = redis.raw();
    this.enqueue = new EnqueueV2Scripts(baton.broker());
    this.cycle = new CycleScripts(baton.broker());
    this.tasks = new TaskV2Scripts(baton.broker());
    this.recovery = new RecoveryV2Scripts(baton.broker());
  }

  static NewTask now(String id, String options) {
    return new NewTask(id, PAYLOAD, options, 0, 0, "");
  }

  /** A task scheduled at enqueue, due in a minute. */
  static NewTask later(String id, String options) {
    return new NewTask(id, PAYLOAD, options, 60_000, 0, "");
  }

  EnqueueScripts.Replies enqueue(NewTask... tasks) {
    return unwrapped(enqueue.enqueue(Q, List.of(tasks), WINDOW));
  }

  CycleScripts.Reply cycle(String consumer, int claimMax, CycleScripts.Success... successes) {
    return unwrapped(cycle.cycle(Q, consumer, WINDOW, claimMax, List.of(successes)));
  }

  CycleScripts.Reply cycle(String consumer, int claimMax, Isolation isolation, CycleScripts.Success... successes) {
    return unwrapped(cycle.cycle(Q, consumer, WINDOW, claimMax, isolation, 30_000, List.of(successes)));
  }

  /** Records the success of {@code id} held with {@code token}; returns its status. */
  dev.baton.internal.scripts.ScriptStatus succeed(String consumer, String id, String token) {
    return cycle(consumer, 0, new CycleScripts.Success(id, token, finished("{}"))).statuses().get(0);
  }

  /** The future's value, or its failure as thrown by the gateway (not wrapped by join). */
  static <T> T unwrapped(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  static String finished(String result) {
    return CycleScripts.finishedValue(1_795_874_815_747L, 1, 12, result);
  }

  List<StreamMessage<String, String>> read(String consumer, int count) {
    List<StreamMessage<String, String>> got = raw.xreadgroup(Consumer.from(Keys.GROUP, consumer),
        XReadArgs.Builder.count(count), XReadArgs.StreamOffset.lastConsumed(k.stream(Q)));
    assertThat(got).hasSize(count);
    return got;
  }

  /** Enqueues {@code id} due now and has {@code consumer} read it: the first delivery, held by its entry id. */
  Held deliver(String consumer, String id, String options) {
    enqueue(now(id, options));
    StreamMessage<String, String> e = read(consumer, 1).get(0);
    assertThat(e.getBody()).containsEntry("t", id);
    return new Held(id, e.getId());
  }

  Held deliver(String id) {
    return deliver(A, id, "");
  }

  /** The token a worker holds for an entry it read: the entry id, or {@code q<a>,<eid>} when it has {@code a}. */
  static Held heldOf(StreamMessage<String, String> e) {
    String a = e.getBody().get("a");
    return new Held(e.getBody().get("t"), a == null ? e.getId() : "q" + a + "," + e.getId());
  }

  String index(String id) {
    return raw.hget(k.indexBucket(Q, id), id);
  }

  Map<String, String> record(String id) {
    return raw.hgetall(k.task(Q, id));
  }

  String stat(String field) {
    return raw.hget(k.stats(Q), field);
  }

  /** Pending entries per consumer of the group. */
  Map<String, Long> pendingPerConsumer() {
    return raw.xpending(k.stream(Q), Keys.GROUP).getConsumerMessageCount();
  }

  /** The pending entry {@code eid} (owner, idle time), or null. */
  PendingMessage pending(String eid) {
    List<PendingMessage> p = raw.xpending(k.stream(Q), Keys.GROUP, Range.create(eid, eid), Limit.from(1));
    return p.isEmpty() ? null : p.get(0);
  }

  /** The entry {@code eid}'s fields, or null when it is not in the stream. */
  Map<String, String> entry(String eid) {
    List<StreamMessage<String, String>> e = raw.xrange(k.stream(Q), Range.create(eid, eid));
    return e.isEmpty() ? null : e.get(0).getBody();
  }

  /** The time the id {@code eid} was created at, ms. */
  static long msOf(String eid) {
    return Long.parseLong(eid.substring(0, eid.indexOf('-')));
  }

  /** Redis' clock, ms. */
  long redisNow() {
    List<String> t = raw.time();
    return Long.parseLong(t.get(0)) * 1000 + Long.parseLong(t.get(1)) / 1000;
  }

  /** Makes the delayed member {@code id} due now. */
  void makeDue(String id) {
    raw.zadd(k.delayed(Q), 0, id);
  }

  /** Replaces {@code key} with a string, so that it holds the wrong type. */
  void breakKey(String key) {
    raw.del(key);
    raw.set(key, "not the right type");
  }

  /**
   * Runs {@code call}, expecting it to fail with a {@link WrongKeyTypeException} naming
   * {@code script} and {@code key}, and to have written nothing.
   */
  void assertWrongTypeWritesNothing(String script, String key, ThrowingCallable call) {
    Map<String, String> before = snapshot();
    Throwable thrown = catchThrowable(call);
    if (thrown instanceof CompletionException c) {
      thrown = c.getCause();
    }
    assertThat(thrown).isInstanceOf(WrongKeyTypeException.class).hasMessageContaining(script).hasMessageContaining(key);
    assertThat(snapshot()).isEqualTo(before);
  }

  /** Collects the messages published on {@code channel} from now on. */
  BlockingQueue<String> subscribe(String channel) {
    return redis.subscribe(channel);
  }

  /** Every key of the test's prefix with its type and DUMP, to show a refused call wrote nothing. */
  Map<String, String> snapshot() {
    Map<String, String> out = new TreeMap<>();
    List<String> keys = new ArrayList<>(raw.keys(redis.prefix() + ":*"));
    for (String key : keys) {
      byte[] dump = raw.dump(key);
      out.put(key, raw.type(key) + ":" + (dump == null ? "" : HexFormat.of().formatHex(dump)));
    }
    return out;
  }
}
