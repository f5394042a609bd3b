package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.ATTEMPT;
import static dev.baton.LayoutV2Fixture.PAYLOAD;
import static dev.baton.LayoutV2Fixture.Q;
import static dev.baton.LayoutV2Fixture.msOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.internal.scripts.TaskV2Scripts.Outcome;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.StreamMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Layout v2's fail.lua (retry, dead) and park.lua through {@code TaskV2Scripts} against a real Redis
 * (docs/hot-path-v2.md): the entry's payload and options move into the record with the attempt
 * counts, the set and index value of the new state, the counters and the notification; the fence
 * (a stale token, an unknown id) and the script rules (a wrong-typed key writes nothing, a corrupt
 * counter does not stop a transition).
 */
class LayoutV2FailParkIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String OPTIONS = "{\"max\":5}";
  private static final String SECOND = "{\"n\":2,\"err\":\"again\"}";

  private LayoutV2Fixture v2;

  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
  }

  @Test
  void aFailedFirstDeliveryMovesItsEntryIntoARecordAndWaitsInTheDelayedSet() {
    Held held = v2.deliver(A, "t-1", OPTIONS);
    long before = v2.redisNow();

    Outcome r = v2.tasks.retry(Q, held, ATTEMPT, 30_000);

    assertThat(r.status()).isEqualTo(ScriptStatus.OK);
    assertThat(r.state()).isEqualTo("retrying");
    assertThat(r.unnotified()).isNull();
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero(); // deleted
    assertThat(v2.pendingPerConsumer()).isEmpty(); // acknowledged
    Map<String, String> rec = v2.record("t-1");
    assertThat(rec).containsEntry("id", "t-1").containsEntry("st", "retrying").containsEntry("p", PAYLOAD)
        .containsEntry("o", OPTIONS).containsEntry("ct", Long.toString(msOf(held.token())))
        .containsEntry("att", "1").containsEntry("dn", "1").containsEntry("nol", "0").containsEntry("flt", "0")
        .containsEntry("err", ATTEMPT).containsEntry("hist", "[" + ATTEMPT + "]")
        .doesNotContainKeys("why", "ft");
    long due = Long.parseLong(rec.get("sa"));
    assertThat(due - before).isBetween(30_000L, 31_000L);
    assertThat(v2.raw.zscore(v2.k.delayed(Q), "t-1")).isEqualTo((double) due);
    assertThat(v2.index("t-1")).isEqualTo("d");
    assertThat(v2.stat("retried")).isEqualTo("1");
  }

  @Test
  void aRecordWithoutOptionsGetsNone() {
    Held held = v2.deliver("t-1");

    v2.tasks.retry(Q, held, ATTEMPT, 0);

    assertThat(v2.record("t-1")).containsEntry("p", PAYLOAD).doesNotContainKey("o");
  }

  @Test
  void aSecondFailureOfAPromotedRetryAppendsToTheHistoryAndChargesAnotherAttempt() {
    Held first = v2.deliver(A, "t-1", OPTIONS);
    v2.tasks.retry(Q, first, ATTEMPT, 60_000);
    v2.makeDue("t-1");
    assertThat(v2.recovery.promote(Q, List.of("t-1"))).isEqualTo(1);
    StreamMessage<String, String> e = v2.read(A, 1).get(0);
    Held second = LayoutV2Fixture.heldOf(e);
    assertThat(second.token()).isEqualTo("q2,1,0,0," + e.getId());

    Outcome r = v2.tasks.retry(Q, second, SECOND, 60_000);

    assertThat(r.status()).isEqualTo(ScriptStatus.OK);
    assertThat(v2.record("t-1")).containsEntry("att", "2").containsEntry("dn", "2").containsEntry("err", SECOND)
        .containsEntry("hist", "[" + ATTEMPT + "," + SECOND + "]").containsEntry("p", PAYLOAD)
        .containsEntry("o", OPTIONS).containsEntry("ct", Long.toString(msOf(first.token())))
        .containsEntry("st", "retrying");
    assertThat(v2.index("t-1")).isEqualTo("d");
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
    assertThat(v2.stat("retried")).isEqualTo("2");
  }

  @Test
  void aDeadLetteredTaskIsRecordedAsDeadAndAnnounced() throws Exception {
    BlockingQueue<String> finished = v2.subscribe(v2.k.finishedChannel(Q));
    Held held = v2.deliver(A, "t-1", OPTIONS);

    Outcome r = v2.tasks.deadLetter(Q, held, ATTEMPT, "not retryable: bad input");

    assertThat(r.status()).isEqualTo(ScriptStatus.OK);
    assertThat(r.state()).isEqualTo("dead");
    assertThat(r.unnotified()).isNull();
    Map<String, String> rec = v2.record("t-1");
    assertThat(rec).containsEntry("st", "dead").containsEntry("why", "not retryable: bad input")
        .containsEntry("p", PAYLOAD).containsEntry("o", OPTIONS).containsEntry("att", "1")
        .containsEntry("hist", "[" + ATTEMPT + "]").doesNotContainKey("sa");
    assertThat(v2.raw.zscore(v2.k.dead(Q), "t-1")).isEqualTo(Double.parseDouble(rec.get("ft")));
    assertThat(v2.raw.zcard(v2.k.delayed(Q))).isZero();
    assertThat(v2.index("t-1")).isEqualTo("x");
    assertThat(v2.stat("dead")).isEqualTo("1");
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
    assertThat(v2.pendingPerConsumer()).isEmpty();
    assertThat(finished.poll(5, TimeUnit.SECONDS)).isEqualTo("t-1");
  }

  @Test
  void aStaleTokenIsRefusedWithTheTaskStateAndWritesNothing() {
    Held held = v2.deliver("t-1");
    v2.tasks.retry(Q, held, ATTEMPT, 60_000);

    assertRefusedWithoutWrites(held, ScriptStatus.NOT_HELD, "scheduled");
  }

  @Test
  void aTokenOfAnotherDeliveryOfAQueuedTaskIsRefused() {
    Held held = v2.deliver("t-1");

    assertRefusedWithoutWrites(new Held("t-1", "q2,0,0,0," + held.token()), ScriptStatus.NOT_HELD, "queued");
  }

  @Test
  void anUnknownTaskIsNotFoundAndNothingIsWritten() {
    Held held = v2.deliver("t-1");

    assertRefusedWithoutWrites(new Held("t-9", held.token()), ScriptStatus.NOT_FOUND, "");
  }

  /** A retry, a dead-letter and a park of {@code held} are each refused with {@code status} and write nothing. */
  private void assertRefusedWithoutWrites(Held held, ScriptStatus status, String state) {
    Map<String, String> before = v2.snapshot();

    List<Outcome> refused = List.of(v2.tasks.retry(Q, held, SECOND, 0), v2.tasks.deadLetter(Q, held, SECOND, "no"),
        v2.tasks.park(Q, held, "db", "down", 1000, "open"));

    assertThat(refused).extracting(Outcome::status).containsOnly(status);
    assertThat(refused).extracting(Outcome::state).containsOnly(state);
    assertThat(v2.snapshot()).isEqualTo(before);
  }

  @Test
  void aRetryWhosePayloadWasDeletedOutsideBatonIsDeadLettered() {
    Held held = v2.deliver("t-1");
    v2.raw.xdel(v2.k.stream(Q), held.token()); // still pending, payload gone

    Outcome r = v2.tasks.retry(Q, held, ATTEMPT, 0);

    assertThat(r.status()).isEqualTo(ScriptStatus.OK);
    assertThat(r.state()).isEqualTo("dead");
    assertThat(v2.record("t-1")).containsEntry("st", "dead")
        .containsEntry("why", "payload lost: stream entry " + held.token() + " was deleted outside Baton")
        .doesNotContainKeys("p", "sa");
    assertThat(v2.raw.zscore(v2.k.dead(Q), "t-1")).isNotNull();
    assertThat(v2.raw.zcard(v2.k.delayed(Q))).isZero();
    assertThat(v2.index("t-1")).isEqualTo("x");
    assertThat(v2.pendingPerConsumer()).isEmpty();
    assertThat(v2.stat("dead")).isEqualTo("1");
    assertThat(v2.stat("retried")).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"delayed", "stats", "record", "index", "stream"})
  void aWrongTypedKeyFailsARetryAndWritesNothing(String which) {
    Held held = v2.deliver("t-1");
    String key = keyNamed(which, "t-1");
    v2.breakKey(key);

    v2.assertWrongTypeWritesNothing("fail.lua", key, () -> v2.tasks.retry(Q, held, ATTEMPT, 0));
  }

  @ParameterizedTest
  @ValueSource(strings = {"dead", "stats", "record", "index"})
  void aWrongTypedKeyFailsADeadLetterAndWritesNothing(String which) {
    Held held = v2.deliver("t-1");
    String key = keyNamed(which, "t-1");
    v2.breakKey(key);

    v2.assertWrongTypeWritesNothing("fail.lua", key, () -> v2.tasks.deadLetter(Q, held, ATTEMPT, "no"));
  }

  @Test
  void aCounterThatIsNotAnIntegerIsStartedAgainAndTheFailureIsRecorded() {
    Held one = v2.deliver("t-1");
    Held two = v2.deliver("t-2");
    v2.raw.hset(v2.k.stats(Q), Map.of("retried", "x", "dead", "1.5"));

    assertThat(v2.tasks.retry(Q, one, ATTEMPT, 0).status()).isEqualTo(ScriptStatus.OK);
    assertThat(v2.tasks.deadLetter(Q, two, ATTEMPT, "no").status()).isEqualTo(ScriptStatus.OK);

    assertThat(v2.stat("retried")).isEqualTo("1");
    assertThat(v2.stat("dead")).isEqualTo("1");
    assertThat(v2.index("t-1")).isEqualTo("d");
    assertThat(v2.index("t-2")).isEqualTo("x");
  }

  // ---- park -------------------------------------------------------------------------------------

  @Test
  void aParkedTaskMovesIntoARecordAndTheParkedSetWithoutChargingTheAttempt() {
    Held held = v2.deliver(A, "t-1", OPTIONS);

    Outcome r = v2.tasks.park(Q, held, "billing-api", "breaker open", 20_000, "open");

    assertThat(r.status()).isEqualTo(ScriptStatus.OK);
    assertThat(r.state()).isEqualTo("parked");
    Map<String, String> rec = v2.record("t-1");
    assertThat(rec).containsEntry("id", "t-1").containsEntry("st", "parked").containsEntry("dep", "billing-api")
        .containsEntry("pr", "breaker open").containsEntry("pk", "open").containsEntry("pn", "1")
        .containsEntry("p", PAYLOAD).containsEntry("o", OPTIONS).containsEntry("att", "0").containsEntry("dn", "1")
        .containsEntry("ct", Long.toString(msOf(held.token()))).doesNotContainKeys("err", "hist");
    long parkedAt = Long.parseLong(rec.get("pa"));
    long at = Long.parseLong(rec.get("sa"));
    assertThat(at - parkedAt).isEqualTo(20_000);
    assertThat(v2.raw.zscore(v2.k.parked(Q), "t-1")).isEqualTo((double) at);
    assertThat(v2.raw.hget(v2.k.parking(Q), "n:billing-api")).isEqualTo("1");
    assertThat(v2.index("t-1")).isEqualTo("k");
    assertThat(v2.stat("parked")).isEqualTo("1");
    assertThat(v2.raw.xlen(v2.k.stream(Q))).isZero();
    assertThat(v2.pendingPerConsumer()).isEmpty();
  }

  @Test
  void theMaxWaitOfTheOptionsCapsTheReconsiderTime() {
    Held held = v2.deliver(A, "t-1", "{\"mw\":5000}");

    Outcome r = v2.tasks.park(Q, held, "db", "down", 600_000, "unavailable");

    assertThat(r.status()).isEqualTo(ScriptStatus.OK);
    long deadline = msOf(held.token()) + 5000;
    assertThat(v2.record("t-1")).containsEntry("sa", Long.toString(deadline)).containsEntry("pk", "unavailable");
    assertThat(v2.raw.zscore(v2.k.parked(Q), "t-1")).isEqualTo((double) deadline);
  }

  @Test
  void parkingARetriedDeliveryKeepsItsAttemptsAndHistoryAndCountsTheParks() {
    Held first = v2.deliver("t-1");
    v2.tasks.retry(Q, first, ATTEMPT, 0);
    v2.makeDue("t-1");
    v2.recovery.promote(Q, List.of("t-1"));
    Held second = LayoutV2Fixture.heldOf(v2.read(A, 1).get(0));
    v2.raw.hset(v2.k.parking(Q), "n:db", "4");

    Outcome r = v2.tasks.park(Q, second, "db", "rate limited", 1000, "rate");

    assertThat(r.status()).isEqualTo(ScriptStatus.OK);
    assertThat(v2.record("t-1")).containsEntry("st", "parked").containsEntry("att", "1").containsEntry("dn", "2")
        .containsEntry("hist", "[" + ATTEMPT + "]").containsEntry("pn", "1").containsEntry("p", PAYLOAD);
    assertThat(v2.raw.hget(v2.k.parking(Q), "n:db")).isEqualTo("5");
  }

  @ParameterizedTest
  @ValueSource(strings = {"parked", "parking", "stats", "record", "index", "stream"})
  void aWrongTypedKeyFailsAParkAndWritesNothing(String which) {
    Held held = v2.deliver("t-1");
    String key = keyNamed(which, "t-1");
    v2.breakKey(key);

    v2.assertWrongTypeWritesNothing("park.lua", key, () -> v2.tasks.park(Q, held, "db", "down", 1000, "open"));
  }

  @Test
  void aParkCounterThatIsNotAnIntegerIsStartedAgain() {
    Held held = v2.deliver("t-1");
    v2.raw.hset(v2.k.parking(Q), "n:db", "many");
    v2.raw.hset(v2.k.stats(Q), "parked", "");

    assertThat(v2.tasks.park(Q, held, "db", "down", 1000, "open").status()).isEqualTo(ScriptStatus.OK);

    assertThat(v2.raw.hget(v2.k.parking(Q), "n:db")).isEqualTo("1");
    assertThat(v2.stat("parked")).isEqualTo("1");
    assertThat(v2.index("t-1")).isEqualTo("k");
  }

  private String keyNamed(String which, String id) {
    Map<String, Function<String, String>> keys = Map.of("delayed", v2.k::delayed, "dead", v2.k::dead,
        "stats", v2.k::stats, "parked", v2.k::parked, "parking", v2.k::parking, "stream", v2.k::stream);
    return switch (which) {
      case "record" -> v2.k.task(Q, id);
      case "index" -> v2.k.indexBucket(Q, id);
      default -> keys.get(which).apply(Q);
    };
  }
}
