package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Script;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Redis loses its script cache on restart, failover or SCRIPT FLUSH; every later EVALSHA gets
 * NOSCRIPT. Baton must reload and carry on, with no task error (failure-modes.md F7).
 */
class ScriptCacheIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "agent";
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void enqueueAndCompletionWorkAfterTheCacheIsFlushed() throws Exception {
    BatonClient baton = redis.client();
    RedisCommands<String, String> raw = redis.raw();
    redis.closeAfter(Worker.builder(baton).handle(Q, ctx -> "ok").build().start());
    String warm = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    assertThat(baton.dispatcher().awaitResult(warm, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(raw.scriptExists(sha(Script.ENQUEUE), sha(Script.START), sha(Script.COMPLETE))).containsOnly(true);

    raw.scriptFlush();
    assertThat(raw.scriptExists(sha(Script.ENQUEUE), sha(Script.START), sha(Script.COMPLETE))).containsOnly(false);

    String id = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id(); // enqueue: NOSCRIPT
    TaskInfo done = baton.dispatcher().awaitResult(id, WAIT); // start and complete: NOSCRIPT
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.resultJson()).isEqualTo("\"ok\"");
  }

  @Test
  void outcomesOfRunningTasksAreRecordedAfterTheCacheIsFlushed() throws Exception {
    BatonClient baton = redis.client();
    RedisCommands<String, String> raw = redis.raw();
    CountDownLatch started = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, HandlerOptions.withConcurrency(2), ctx -> {
          started.countDown();
          release.await();
          if (ctx.payloadJson().contains("fail")) {
            throw new NonRetryableException("failing on purpose");
          }
          return "ok";
        })
        .build()
        .start());
    String ok = baton.dispatcher().enqueue(TaskRequest.builder(Q).build()).id();
    String fails = baton.dispatcher().enqueue(TaskRequest.builder(Q).payloadJson("{\"fail\":1}").build()).id();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

    raw.scriptFlush(); // between start and the outcome write
    release.countDown();

    assertThat(baton.dispatcher().awaitResult(ok, WAIT).state()).isEqualTo(TaskState.SUCCEEDED); // complete
    TaskInfo dead = baton.dispatcher().awaitResult(fails, WAIT); // fail
    assertThat(dead.state()).isEqualTo(TaskState.DEAD);
    assertThat(dead.deadReason()).contains("failing on purpose");
  }

  @Test
  void aPipelinedBatchAfterAFlushReloadsTheScriptOnceNotOncePerCommand() {
    BatonClient baton = redis.client();
    RedisCommands<String, String> raw = redis.raw();
    baton.dispatcher().enqueue(TaskRequest.builder(Q).build());
    List<TaskRequest> batch = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      batch.add(TaskRequest.builder(Q).build());
    }
    raw.scriptFlush();
    raw.configResetstat();

    List<EnqueueResult> results = baton.dispatcher().enqueueAll(batch);

    assertThat(results).hasSize(500).allMatch(EnqueueResult::created);
    // every command of the batch got NOSCRIPT; they share one reload (two if a reply raced it)
    assertThat(scriptLoads(raw)).isBetween(1L, 2L);
  }

  private static long scriptLoads(RedisCommands<String, String> raw) {
    Matcher m = Pattern.compile("cmdstat_script\\|load:calls=(\\d+)").matcher(raw.info("commandstats"));
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  private static String sha(Script script) throws Exception {
    byte[] digest = MessageDigest.getInstance("SHA-1").digest(script.source().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest);
  }
}
