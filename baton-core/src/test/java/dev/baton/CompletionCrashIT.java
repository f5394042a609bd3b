package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import dev.baton.testing.TestJvms;
import dev.baton.testing.WorkerMain;
import dev.baton.testkit.TcpProxy;
import dev.baton.testkit.WorkerJvm;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A worker killed while its handlers' successes wait to be written (its connection to Redis is cut
 * off, so the completer cannot send them) loses no task: the attempts were never recorded, so the
 * tasks stay running and pending, another worker takes them over after the lease and runs them,
 * and each is counted as succeeded exactly once.
 */
class CompletionCrashIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "queued-successes";
  private static final int CONCURRENCY = 4;
  // long enough that the cut-off worker does not cancel its handlers (lease minus a heartbeat) before they return
  private static final Duration LEASE = Duration.ofSeconds(5);

  @Test
  void aWorkerKilledWithSuccessesQueuedLosesNoTask() throws Exception {
    BatonClient direct = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    TcpProxy proxy = redis.closeAfter(new TcpProxy(redis.server().port()));
    WorkerJvm worker = redis.closeAfter(TestJvms.start(WorkerMain.class, proxy.uri(), redis.prefix(), Q,
        Integer.toString(CONCURRENCY), Long.toString(LEASE.toMillis()), "brief"));
    await().atMost(Duration.ofSeconds(60)).failFast("worker exited", () -> !worker.isAlive())
        .until(() -> worker.marker("READY").isPresent());

    List<TaskRequest> requests = new ArrayList<>();
    for (int i = 0; i < CONCURRENCY; i++) {
      requests.add(TaskRequest.builder(Q).payloadJson("{\"i\":" + i + "}").build());
    }
    List<String> ids = direct.dispatcher().enqueueAll(requests).stream().map(EnqueueResult::id).toList();
    await().atMost(Duration.ofSeconds(30)).failFast("worker exited", () -> !worker.isAlive())
        .until(() -> worker.markers().stream().filter(m -> m.line().startsWith("RUNNING ")).count() == CONCURRENCY);

    proxy.freeze(); // the handlers are still sleeping: their successes cannot reach Redis
    await().atMost(Duration.ofSeconds(10))
        .until(() -> worker.markers().stream().filter(m -> m.line().startsWith("RETURNED ")).count() == CONCURRENCY);
    Thread.sleep(200); // give the completer time to try (the frozen proxy swallows the call)
    worker.kill();

    for (String id : ids) {
      Map<String, String> rec = raw.hgetall(k.task(Q, id));
      assertThat(rec).as("a queued success is not a recorded one").containsEntry("st", "running")
          .doesNotContainKey("r");
    }
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isEqualTo(CONCURRENCY);

    Worker rescuer = redis.closeAfter(Worker.builder(direct)
        .recoverInterval(Duration.ofMillis(100))
        .handle(Q, HandlerOptions.withConcurrency(CONCURRENCY).lease(LEASE), ctx -> "rescued")
        .build()
        .start());
    for (String id : ids) {
      TaskInfo done = direct.dispatcher().awaitResult(id, Duration.ofSeconds(30));
      assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(done.resultJson()).isEqualTo("\"rescued\"");
      assertThat(done.deliveries()).isEqualTo(2);
    }
    assertThat(raw.xpending(k.stream(Q), Keys.GROUP).getCount()).isZero();
    assertThat(raw.xlen(k.stream(Q))).isZero();
    assertThat(direct.inspector().stats(Q).succeeded()).isEqualTo(CONCURRENCY);
    assertThat(raw.hget(k.stats(Q), "recovered")).isEqualTo(Integer.toString(CONCURRENCY));
    assertThat(rescuer.inFlight()).isZero();
  }
}
