package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.BatonClient;
import dev.baton.HandlerOptions;
import dev.baton.NonRetryableException;
import dev.baton.TaskInfo;
import dev.baton.TaskState;
import dev.baton.Worker;
import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** status, stats, dlq and cancel. */
class InspectCommandsIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final Cli cli = new Cli(redis);

  private String enqueue(String queue, String payload, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("enqueue", "--queue", queue, "--payload", payload));
    args.addAll(List.of(more));
    Cli.Result r = cli.run(args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.err()).isZero();
    return r.out().strip();
  }

  @Test
  void statusShowsTheRecordAsTextOrJson() {
    String id = enqueue("reports", "{\"month\":\"2026-11\"}", "--max-attempts", "4", "--header", "k=v");

    Cli.Result text = cli.run("status", id);
    assertThat(text.exitCode()).as(text.err()).isZero();
    assertThat(text.out())
        .contains("id:          " + id)
        .contains("agent type:  reports")
        .contains("state:       queued")
        .contains("attempts:    0/4")
        .contains("headers:     k=v")
        .contains("payload:     {\"month\":\"2026-11\"}")
        .containsPattern("created: +20\\d\\d-");

    Cli.Result json = cli.run("status", id, "--json");
    assertThat(json.exitCode()).isZero();
    JsonNode n = JSON.readTree(json.out());
    assertThat(n.get("id").asString()).isEqualTo(id);
    assertThat(n.get("state").asString()).isEqualTo("queued");
    assertThat(n.get("maxAttempts").asInt()).isEqualTo(4);
    assertThat(n.get("payload").get("month").asString()).isEqualTo("2026-11");
    assertThat(n.get("result").isNull()).isTrue();
    assertThat(n.get("headers").get("k").asString()).isEqualTo("v");
    assertThat(json.out()).doesNotContain("dev.baton").doesNotContain("@class");
  }

  @Test
  void unknownIdExitsFour() {
    enqueue("known", "{}");
    for (String[] args : List.of(new String[] {"status", "no-such-task"}, new String[] {"cancel", "no-such-task"},
        new String[] {"dlq", "show", "no-such-task"}, new String[] {"dlq", "replay", "--queue", "known", "nope"},
        new String[] {"dlq", "purge", "--queue", "known", "nope"})) {
      Cli.Result r = cli.run(args);
      assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(4);
      assertThat(r.err()).as(String.join(" ", args)).matches("baton: task not found: (no-such-task|nope)\\R");
      assertThat(r.out()).isEmpty();
    }
  }

  @Test
  void deadLettersRoundTrip() throws Exception {
    BatonClient client = redis.client();
    AtomicBoolean fail = new AtomicBoolean(true);
    redis.closeAfter(Worker.builder(client)
        .handle("strict", HandlerOptions.withConcurrency(2), ctx -> {
          if (fail.get()) {
            throw new NonRetryableException("bad input " + ctx.payloadJson());
          }
          return "fixed";
        })
        .build()
        .start());
    String a = enqueue("strict", "{\"n\":1}");
    String b = enqueue("strict", "{\"n\":2}");
    String c = enqueue("strict", "{\"n\":3}");
    for (String id : List.of(a, b, c)) {
      assertThat(client.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.DEAD);
    }

    Cli.Result stats = cli.run("stats");
    assertThat(stats.exitCode()).as(stats.err()).isZero();
    assertThat(stats.lines()).containsExactly(
        "AGENT TYPE  QUEUED  RUNNING  DELAYED  PARKED  SUCCEEDED  DEAD",
        "strict           0        0        0       0          0     3");
    JsonNode statsJson = JSON.readTree(cli.run("stats", "--json").out()).get("queues");
    assertThat(statsJson.size()).isEqualTo(1);
    assertThat(statsJson.get(0).get("agentType").asString()).isEqualTo("strict");
    assertThat(statsJson.get(0).get("dead").asLong()).isEqualTo(3);
    assertThat(statsJson.get(0).has("cancelled")).isTrue();
    assertThat(statsJson.get(0).has("retried")).isTrue();

    Cli.Result list = cli.run("dlq", "list", "--queue", "strict");
    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.lines()).hasSize(4);
    assertThat(list.lines().get(0)).startsWith("ID").contains("ATTEMPTS").contains("REASON");
    assertThat(list.out()).contains(a).contains(b).contains(c).contains("non-retryable error: NonRetryableException: bad input");
    assertThat(list.err()).contains("dead letters 1-3 of 3 in strict");

    JsonNode page = JSON.readTree(cli.run("dlq", "list", "--queue", "strict", "--offset", "1", "--limit", "1", "--json").out());
    assertThat(page.get("total").asLong()).isEqualTo(3);
    assertThat(page.get("items").size()).isEqualTo(1);
    assertThat(page.get("items").get(0).get("state").asString()).isEqualTo("dead");

    Cli.Result show = cli.run("dlq", "show", a);
    assertThat(show.exitCode()).as(show.err()).isZero();
    assertThat(show.out())
        .contains("state:       dead")
        .contains("dead reason: non-retryable error: NonRetryableException: bad input {\"n\":1}")
        .contains("history:")
        .contains("attempt 1 on ")
        .contains("last stack:");
    JsonNode shown = JSON.readTree(cli.run("dlq", "show", a, "--json").out());
    assertThat(shown.get("lastError").get("errorClass").asString()).isEqualTo("dev.baton.NonRetryableException");
    assertThat(shown.get("history").size()).isEqualTo(1);

    fail.set(false);
    Cli.Result replay = cli.run("dlq", "replay", "--queue", "strict", a);
    assertThat(replay.exitCode()).as(replay.err()).isZero();
    assertThat(replay.out()).isEqualTo(a + "\n");
    TaskInfo replayed = client.dispatcher().awaitResult(a, WAIT);
    assertThat(replayed.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(replayed.resultJson()).isEqualTo("\"fixed\"");
    assertThat(cli.run("status", a).out()).contains("result:      \"fixed\"");

    Cli.Result notDead = cli.run("dlq", "replay", "--queue", "strict", a);
    assertThat(notDead.exitCode()).isEqualTo(1);
    assertThat(notDead.err()).isEqualTo("baton: task " + a + " is not dead (state: succeeded)\n");
    assertThat(cli.run("dlq", "show", a).exitCode()).isEqualTo(4);

    Cli.Result purgeOne = cli.run("dlq", "purge", "--queue", "strict", b);
    assertThat(purgeOne.exitCode()).as(purgeOne.err()).isZero();
    assertThat(purgeOne.out()).isEqualTo(b + "\n");
    assertThat(cli.run("status", b).exitCode()).isEqualTo(4);
    assertThat(cli.run("dlq", "purge", "--queue", "strict", a).exitCode()).isEqualTo(1);

    Cli.Result purgeAll = cli.run("dlq", "purge", "--queue", "strict", "--all");
    assertThat(purgeAll.exitCode()).as(purgeAll.err()).isZero();
    assertThat(purgeAll.out()).isEqualTo("1\n");
    assertThat(client.inspector().deadLetterCount("strict")).isZero();
    assertThat(cli.run("dlq", "list", "--queue", "strict").lines()).hasSize(1);
  }

  @Test
  void replayAllRequeuesEveryDeadLetter() throws Exception {
    BatonClient client = redis.client();
    AtomicBoolean fail = new AtomicBoolean(true);
    Worker worker = redis.closeAfter(Worker.builder(client)
        .handle("batch", ctx -> {
          if (fail.get()) {
            throw new NonRetryableException("not yet");
          }
          return null;
        })
        .build()
        .start());
    String a = enqueue("batch", "{}");
    String b = enqueue("batch", "{}");
    for (String id : List.of(a, b)) {
      client.dispatcher().awaitResult(id, WAIT);
    }
    fail.set(false);
    Cli.Result r = cli.run("dlq", "replay", "--queue", "batch", "--all");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("2\n");
    for (String id : List.of(a, b)) {
      assertThat(client.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    worker.close();
  }

  @Test
  void cancelPrintsTheResultingState() throws Exception {
    String later = enqueue("cancel-me", "{}", "--delay", "1h");

    Cli.Result r = cli.run("cancel", later);
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("cancelled\n");
    assertThat(redis.client().inspector().task(later).state()).isEqualTo(TaskState.CANCELLED);

    BatonClient client = redis.client();
    redis.closeAfter(Worker.builder(client).handle("done", ctx -> "ok").build().start());
    String done = enqueue("done", "{}");
    assertThat(client.dispatcher().awaitResult(done, WAIT).state()).isEqualTo(TaskState.SUCCEEDED);

    Cli.Result refused = cli.run("cancel", done);
    assertThat(refused.exitCode()).isEqualTo(1);
    assertThat(refused.out()).isEqualTo("succeeded\n");
    assertThat(refused.err()).isEqualTo("baton: task " + done + " cannot be cancelled: it is succeeded\n");
  }

  @Test
  void breakersShowsAnOpenBreakerAndTheTasksParkedOnIt() throws Exception {
    BatonClient client = redis.client();
    redis.closeAfter(Worker.builder(client)
        .dependency(dev.baton.resilience.DependencyConfig.of("llm:gpt-4o", dev.baton.resilience.BreakerConfig.builder().countWindow(2)
            .minimumCalls(2).waitInOpen(Duration.ofMinutes(5)).build()))
        .handle("chat", HandlerOptions.withConcurrency(2).dependencies("llm:gpt-4o"),
            ctx -> ctx.dependency("llm:gpt-4o").call(() -> {
              throw new dev.baton.resilience.DependencyUnavailableException("llm:gpt-4o", "529 overloaded");
            }))
        .build()
        .start());
    enqueue("chat", "{\"n\":1}");
    enqueue("chat", "{\"n\":2}");
    org.awaitility.Awaitility.await().atMost(WAIT)
        .until(() -> client.inspector().breaker("llm:gpt-4o").parked() == 2);

    Cli.Result text = cli.run("breakers");
    assertThat(text.exitCode()).as(text.err()).isZero();
    assertThat(text.lines().get(0))
        .isEqualTo("DEPENDENCY  STATE  CALLS  FAILURE%  SLOW%  PROBES  PARKED  OPEN FOR");
    assertThat(text.lines().get(1)).matches("llm:gpt-4o  open +0 +0\\.0 +0\\.0 +0 +2 +\\d+\\.\\ds");
    assertThat(text.out()).doesNotContain("LIMIT"); // no limit in use yet
    JsonNode json = JSON.readTree(cli.run("breakers", "--json").out()).get("breakers");
    assertThat(json.get(0).get("dependency").asString()).isEqualTo("llm:gpt-4o");
    assertThat(json.get(0).get("state").asString()).isEqualTo("open");
    assertThat(json.get(0).get("parked").asLong()).isEqualTo(2);
    assertThat(json.get(0).get("openRemainingMs").asLong()).isPositive();

    // a token budget a quarter used by tenant-a
    assertThat(client.rateLimiter("llm:gpt-4o/units", dev.baton.resilience.RateLimit.unitsPerMinute(1000))
        .reserve("tenant-a", 250).granted()).isTrue();
    Cli.Result withLimits = cli.run("breakers");
    assertThat(withLimits.lines()).contains("LIMIT             KEY       KIND  USED   MAX  FILL%",
        "llm:gpt-4o/units  tenant-a  rate   250  1000   25.0");
    JsonNode limits = JSON.readTree(cli.run("breakers", "--json").out()).get("limits");
    assertThat(limits.get(0).get("limit").asString()).isEqualTo("llm:gpt-4o/units");
    assertThat(limits.get(0).get("key").asString()).isEqualTo("tenant-a");
    assertThat(limits.get(0).get("kind").asString()).isEqualTo("rate");
    assertThat(limits.get(0).get("used").asLong()).isEqualTo(250);
    assertThat(limits.get(0).get("max").asLong()).isEqualTo(1000);

    Cli.Result stats = cli.run("stats");
    assertThat(stats.lines()).contains("chat             0        0        0       2          0     0");
    assertThat(stats.out()).contains("llm:gpt-4o  open");
    JsonNode statsJson = JSON.readTree(cli.run("stats", "--json").out());
    assertThat(statsJson.get("queues").get(0).get("parked").asLong()).isEqualTo(2);
    assertThat(statsJson.get("breakers").get(0).get("state").asString()).isEqualTo("open");
    assertThat(statsJson.get("limits").get(0).get("used").asLong()).isEqualTo(250);
    assertThat(stats.out()).contains("llm:gpt-4o/units  tenant-a  rate   250  1000   25.0");

    Cli.Result status = cli.run("status", client.inspector().task("chat",
        redis.raw().zrange(redis.prefix() + ":{chat}:parked", 0, 0).get(0)).orElseThrow().id());
    assertThat(status.out()).contains("state:       parked").contains("waiting for: llm:gpt-4o")
        .contains("attempts:    0/3");
  }

  @Test
  void statsOfAnEmptyDeploymentIsJustTheHeader() {
    Cli.Result r = cli.run("stats");
    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.lines()).containsExactly("AGENT TYPE  QUEUED  RUNNING  DELAYED  PARKED  SUCCEEDED  DEAD");
    JsonNode json = JSON.readTree(cli.run("stats", "--json").out());
    assertThat(json.get("queues").size()).isZero();
    assertThat(json.get("breakers").size()).isZero();
    assertThat(json.get("limits").size()).isZero();
  }

  @Test
  void missingSubcommandIsAUsageError() {
    Cli.Result r = cli.run("dlq");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).startsWith("baton: Missing required subcommand");
    assertThat(Cli.runRaw().exitCode()).isEqualTo(2);
    assertThat(Cli.runRaw("--help").exitCode()).isZero();
  }

  private static final char ESC = '\u001b';
  private static final char BEL = '\u0007';

  /** Dead-letters {@code n} tasks of {@code queue}, each with the handler's message {@code message}. */
  private List<String> deadLetters(String queue, String message, int n) throws Exception {
    BatonClient client = redis.client();
    redis.closeAfter(Worker.builder(client)
        .handle(queue, ctx -> {
          throw new NonRetryableException(message);
        })
        .build()
        .start());
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(enqueue(queue, "{\"n\":" + i + "}"));
    }
    for (String id : ids) {
      assertThat(client.dispatcher().awaitResult(id, WAIT).state()).isEqualTo(TaskState.DEAD);
    }
    return ids;
  }

  private String taskKey(String queue, String id) {
    return redis.prefix() + ":{" + queue + "}:task:" + id;
  }

  @Test
  void dlqListShowsTheOthersAndFlagsAMalformedRecordWithItsReason() throws Exception {
    List<String> ids = deadLetters("strict", "bad input", 3);
    redis.raw().hset(taskKey("strict", ids.get(1)), "st", "zombie");

    Cli.Result list = cli.run("dlq", "list", "--queue", "strict");

    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.lines()).hasSize(4);
    assertThat(list.out()).contains(ids.get(0)).contains(ids.get(2));
    assertThat(list.lines()).anySatisfy(l -> assertThat(l).startsWith(ids.get(1))
        .contains("MALFORMED RECORD: malformed record: unknown task state 'zombie'"));
    assertThat(list.err()).contains("dead letter " + ids.get(1) + " of strict has a malformed record")
        .contains("dead letters 1-3 of 3 in strict");
    JsonNode page = JSON.readTree(cli.run("dlq", "list", "--queue", "strict", "--json").out());
    assertThat(page.get("items").size()).isEqualTo(3);
    for (JsonNode item : page.get("items")) {
      if (item.get("id").asString().equals(ids.get(1))) {
        assertThat(item.get("malformed").asString()).contains("zombie");
      } else {
        assertThat(item.has("malformed")).as(item.get("id").asString()).isFalse();
      }
    }
  }

  @Test
  void statsReportsTheOtherQueuesAndNamesTheOneWithABadCounter() {
    enqueue("good", "{}");
    enqueue("bad", "{}");
    redis.raw().hset(redis.prefix() + ":{bad}:stats", "succeeded", "abc");

    Cli.Result r = cli.run("stats");

    assertThat(r.exitCode()).as(r.err()).isZero();
    assertThat(r.lines()).hasSize(3);
    assertThat(r.lines().get(1)).matches("bad +- +- +- +- +- +-");
    assertThat(r.lines().get(2)).matches("good +1 +0 +0 +0 +0 +0");
    assertThat(r.err()).contains("agent type bad skipped").contains("not an integer").contains("abc");
    JsonNode json = JSON.readTree(cli.run("stats", "--json").out()).get("queues");
    assertThat(json.size()).isEqualTo(2);
    assertThat(json.get(0).get("malformed").asString()).contains("abc");
    assertThat(json.get(0).has("queued")).isFalse();
    assertThat(json.get(1).get("queued").asLong()).isEqualTo(1);
  }

  @Test
  void statsAndBreakersListAnUnreadableBreakerAndLimitFlaggedBetweenTheOthers() {
    String p = redis.prefix();
    redis.raw().sadd(p + ":dependencies", "good", "bad");
    redis.raw().hset(p + ":{dep:good}:breaker", java.util.Map.of("st", "closed", "gen", "1"));
    redis.raw().hset(p + ":{dep:bad}:breaker", java.util.Map.of("st", "bogus", "gen", "1"));
    redis.raw().sadd(p + ":limits", "llm", "tokens");
    redis.raw().hset(p + ":{limit:llm}:config", java.util.Map.of("permits.max", "x"));
    redis.raw().hset(p + ":{limit:tokens}:config", java.util.Map.of("rate.budget", "10", "rate.interval-ms", "1000"));

    for (String verb : List.of("breakers", "stats")) {
      Cli.Result r = cli.run(verb);
      assertThat(r.exitCode()).as(r.err()).isZero();
      assertThat(r.out()).containsPattern("(?m)^bad +malformed +- +- +- +- +0 +-$")
          .containsPattern("(?m)^good +closed +0 ")
          .containsPattern("(?m)^llm +- +concurrency +- +- +-$");
      assertThat(r.err()).contains("breaker of dependency bad is malformed: unknown state: bogus")
          .contains("limit llm cannot be read: setting permits.max is not a positive integer: 'x'");
      JsonNode json = JSON.readTree(cli.run(verb, "--json").out());
      JsonNode breakers = json.get("breakers");
      assertThat(breakers.size()).isEqualTo(2);
      assertThat(breakers.get(0).get("dependency").asString()).isEqualTo("bad");
      assertThat(breakers.get(0).get("malformed").asString()).contains("bogus");
      assertThat(breakers.get(0).has("state")).isFalse();
      assertThat(breakers.get(1).get("state").asString()).isEqualTo("closed");
      assertThat(breakers.get(1).has("malformed")).isFalse();
      JsonNode limits = json.get("limits");
      assertThat(limits.size()).isEqualTo(1);
      assertThat(limits.get(0).get("limit").asString()).isEqualTo("llm");
      assertThat(limits.get(0).get("malformed").asString()).contains("permits.max");
    }
  }

  @Test
  void controlCharactersFromHandlersAndProducersAreInertInTextOutput() throws Exception {
    String evil = "boom " + ESC + "[2J" + BEL + "\nFORGED  1/1  row";
    String id = deadLetters("evil", evil, 1).get(0);

    Cli.Result list = cli.run("dlq", "list", "--queue", "evil");
    assertThat(list.exitCode()).as(list.err()).isZero();
    assertThat(list.lines()).hasSize(2); // the header and one row: the newline forged none
    assertThat(list.out()).doesNotContain(String.valueOf(ESC)).doesNotContain(String.valueOf(BEL))
        .contains("boom \\u001b[2J\\u0007");

    Cli.Result show = cli.run("dlq", "show", id);
    assertThat(show.exitCode()).as(show.err()).isZero();
    assertThat(show.out()).doesNotContain(String.valueOf(ESC)).doesNotContain(String.valueOf(BEL))
        .contains("boom \\u001b[2J\\u0007\\nFORGED  1/1  row");
    assertThat(show.out()).containsPattern("(?m)^dead reason: non-retryable error: NonRetryableException: boom "
        + "\\\\u001b\\[2J\\\\u0007\\\\nFORGED  1/1  row$");

    // a payload written by another producer, with raw control characters
    String other = enqueue("evil-payload", "{}");
    redis.raw().hset(taskKey("evil-payload", other), "p", "{\"t\":\"" + ESC + "]0;pwned" + BEL + "\"}\n{\"forged\":1}");
    Cli.Result status = cli.run("status", other);
    assertThat(status.exitCode()).as(status.err()).isZero();
    assertThat(status.out()).doesNotContain(String.valueOf(ESC)).doesNotContain(String.valueOf(BEL))
        .contains("payload:     {\"t\":\"\\u001b]0;pwned\\u0007\"}\\n{\"forged\":1}");
    Cli.Result json = cli.run("status", other, "--json");
    assertThat(json.exitCode()).isZero();
    assertThat(json.out()).doesNotContain(String.valueOf(ESC));
    assertThat(JSON.readTree(json.out()).get("payload").asString()).contains(ESC + "]0;pwned");
  }

  @Test
  void dlqCommandsValidateTheQueueAsEnqueueDoes() {
    for (String[] args : List.of(new String[] {"dlq", "list", "--queue", "bad queue!"},
        new String[] {"dlq", "replay", "--queue", "a{b}", "--all"},
        new String[] {"dlq", "purge", "--queue", "x:y", "some-id"})) {
      Cli.Result r = cli.run(args);
      assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(2);
      assertThat(r.err()).as(String.join(" ", args)).startsWith("baton: --queue: must match ");
    }
  }

  @Test
  void aDatabaseIndexRedisDoesNotHaveIsAConfigurationError() {
    Cli.Result r = Cli.runRaw("--redis", redis.uri() + "/99", "--prefix", redis.prefix(), "stats");

    assertThat(r.exitCode()).as(r.err()).isEqualTo(ExitCodes.REDIS_CONFIGURATION);
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).startsWith("baton: Redis at ").contains("refused database 99")
        .contains("DB index is out of range").doesNotContain("cannot connect");
  }
}
