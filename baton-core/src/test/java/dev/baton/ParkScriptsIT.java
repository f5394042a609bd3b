package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.DeadLetterScripts;
import dev.baton.internal.scripts.SchedulingScripts;
import dev.baton.internal.scripts.SchedulingScripts.Unparked;
import dev.baton.internal.scripts.ScriptStatus;
import dev.baton.internal.scripts.TaskScripts;
import dev.baton.internal.scripts.TaskScripts.ParkKind;
import dev.baton.internal.scripts.TaskScripts.Written;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** park.lua and unpark.lua on seeded records: fencing, attempts given back, waves, holds, deadlines. */
class ParkScriptsIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "q";
  private static final String DEP = "svc";
  private RedisBroker broker;
  private RedisCommands<String, String> raw;
  private Keys k;
  private TaskScripts tasks;
  private SchedulingScripts scheduling;

  @BeforeEach
  void setUp() {
    broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    raw = redis.raw();
    k = broker.keys();
    tasks = new TaskScripts(broker);
    scheduling = new SchedulingScripts(broker);
    tasks.ensureGroup(Q);
  }

  /** A task running its first attempt under delivery 1, with a pending entry; returns the entry id. */
  private String running(String id, Map<String, String> extra) {
    String eid = raw.xadd(k.stream(Q), Map.of("t", id));
    raw.hset(k.task(Q, id), Map.of("id", id, "q", Q, "p", "{}", "st", "running", "att", "1", "dlv", "1",
        "max", "3", "eid", eid, "own", "w1", "ct", Long.toString(System.currentTimeMillis())));
    if (!extra.isEmpty()) {
      raw.hset(k.task(Q, id), extra);
    }
    return eid;
  }

  private Written park(String id, String eid, String token, long afterMs) {
    return tasks.park(Q, new TaskScripts.Held(id, eid, token), DEP, ParkKind.UNAVAILABLE, "503 from svc", afterMs);
  }

  private Unparked unpark(String mode, String gen, int initial, long intervalMs, int cap, long holdMs,
      List<String> ids) {
    return scheduling.unpark(Q,
        new SchedulingScripts.Unpark(DEP, mode.equals("release"), gen, initial, intervalMs, cap, holdMs), ids);
  }

  /** The counts, and as many ids as each count says. */
  private static void assertUnparked(Unparked u, long released, long ended, long held) {
    assertThat(List.of(u.released(), u.ended(), u.held())).containsExactly(released, ended, held);
    assertThat(u.releasedIds()).hasSize((int) released).doesNotHaveDuplicates();
    assertThat(u.endedIds()).hasSize((int) ended).doesNotHaveDuplicates();
  }

  /** Parks n tasks, then makes them all due. */
  private List<String> parkedDue(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String id = "t" + i;
      park(id, running(id, Map.of()), "1", 60_000);
      raw.zadd(k.parked(Q), 0, id);
      ids.add(id);
    }
    return ids;
  }

  @Test
  void parkIsFencedAndGivesTheAttemptBack() {
    String eid = running("a", Map.of());
    assertThat(park("a", eid, "2", 1000)).isEqualTo(new Written(ScriptStatus.NOT_HELD, "running", 0)); // not this delivery
    assertThat(raw.hget(k.task(Q, "a"), "st")).isEqualTo("running");
    assertThat(raw.zcard(k.parked(Q))).isZero();

    Written r = park("a", eid, "1", 1000);
    assertThat(r.status()).isEqualTo(ScriptStatus.OK);
    assertThat(r.state()).isEqualTo("parked");
    Map<String, String> rec = raw.hgetall(k.task(Q, "a"));
    assertThat(rec).containsEntry("st", "parked").containsEntry("att", "0").containsEntry("dep", DEP)
        .containsEntry("pr", "503 from svc").containsEntry("pk", "unavailable").containsEntry("pn", "1")
        .doesNotContainKeys("own", "eid");
    assertThat(raw.zscore(k.parked(Q), "a")).isEqualTo((double) r.reconsiderAtMillis());
    assertThat(raw.xlen(k.stream(Q))).isZero();
    assertThat(raw.hget(k.parking(Q), "n:" + DEP)).isEqualTo("1");
    assertThat(park("a", eid, "1", 1000)).isEqualTo(new Written(ScriptStatus.NOT_HELD, "parked", 0)); // a second park is refused
    assertThat(park("no-record", eid, "1", 1000)).isEqualTo(new Written(ScriptStatus.NOT_FOUND, null, 0));
  }

  @Test
  void theReconsiderTimeIsCappedByTheTasksOwnDeadline() {
    long ct = System.currentTimeMillis();
    String eid = running("a", Map.of("mw", "5000", "ct", Long.toString(ct)));
    Written r = park("a", eid, "1", 3_600_000);
    assertThat(r.reconsiderAtMillis()).isEqualTo(ct + 5000);
  }

  @Test
  void releaseGoesInWavesThatDoubleEachIntervalAndRestartWithANewGeneration() {
    List<String> ids = parkedDue(10);
    assertUnparked(unpark("release", "7", 2, 60_000, 0, 100, ids), 2, 0, 8);
    assertThat(raw.xlen(k.stream(Q))).isEqualTo(2);
    assertThat(raw.hget(k.task(Q, "t0"), "st")).isEqualTo("queued");
    assertThat(raw.hgetall(k.task(Q, "t0"))).doesNotContainKeys("dep", "pr", "pk").containsKey("eid");
    // the held ones wait for the next wave
    String ramp = raw.hget(k.parking(Q), "r:" + DEP);
    long waveStart = Long.parseLong(ramp.split(",")[1]);
    assertThat(raw.zscore(k.parked(Q), "t5")).isEqualTo((double) (waveStart + 60_000));
    assertThat(ramp).endsWith(",2,2");

    // the interval passed: the wave doubles to 4
    raw.hset(k.parking(Q), "r:" + DEP, "7,0,2,2");
    ids.forEach(id -> raw.zadd(k.parked(Q), 0, id));
    assertUnparked(unpark("release", "7", 2, 60_000, 0, 100, ids), 4, 0, 4);

    // a new generation (the breaker opened and closed again) starts over at the first wave
    ids.forEach(id -> raw.zadd(k.parked(Q), 0, id));
    assertUnparked(unpark("release", "8", 2, 60_000, 0, 100, ids), 2, 0, 2);
    assertThat(raw.hget(k.parking(Q), "n:" + DEP)).isEqualTo("2");
    assertThat(raw.hget(k.stats(Q), "unparked")).isEqualTo("8");
  }

  @Test
  void whileProbingTheWaveNeverGrowsPastTheCap() {
    List<String> ids = parkedDue(5);
    raw.hset(k.parking(Q), "r:" + DEP, "3,0,4,0"); // an old wave of 4, interval long passed
    assertThat(unpark("release", "3", 1, 1000, 1, 100, ids).released()).isEqualTo(1L);
  }

  @Test
  void holdReleasesNothingAndPushesTheTasksBack() {
    List<String> ids = parkedDue(3);
    assertUnparked(unpark("hold", "", 1, 1000, 0, 5_000, ids), 0, 0, 3);
    assertThat(raw.zrangebyscore(k.parked(Q), io.lettuce.core.Range.create(0, System.currentTimeMillis())))
        .isEmpty();
    assertThat(raw.xlen(k.stream(Q))).isZero();
  }

  @Test
  void aTaskPastItsMaxWaitIsDeadLetteredWithTheReasonEvenWhileHeld() {
    String eid = running("old", Map.of("mw", "1000", "ct", "1"));
    park("old", eid, "1", 60_000);
    List<String> notDue = List.of("old");
    assertUnparked(unpark("hold", "", 1, 1000, 0, 5_000, notDue), 0, 1, 0);
    Map<String, String> rec = raw.hgetall(k.task(Q, "old"));
    assertThat(rec).containsEntry("st", "dead");
    assertThat(rec.get("why")).isEqualTo("waited longer than its max wait of 1000ms for dependency svc: 503 from svc");
    assertThat(raw.zscore(k.dead(Q), "old")).isNotNull();
    assertThat(raw.zcard(k.parked(Q))).isZero();
    assertThat(raw.hget(k.parking(Q), "n:" + DEP)).isEqualTo("0");
  }

  @Test
  void membersNotDueOrNotParkedOnThisDependencyAreLeftAlone() {
    String eid = running("later", Map.of());
    park("later", eid, "1", 60_000); // due in a minute
    assertUnparked(unpark("release", "1", 5, 1000, 0, 100, List.of("later")), 0, 0, 0);
    assertThat(raw.hget(k.task(Q, "later"), "st")).isEqualTo("parked");
    raw.zadd(k.parked(Q), 0, "later");
    raw.hset(k.task(Q, "later"), "dep", "other");
    assertUnparked(unpark("release", "1", 5, 1000, 0, 100, List.of("later")), 0, 0, 0);
    assertThat(raw.zscore(k.parked(Q), "later")).isZero();
  }

  @Test
  void cancelTakesAParkedTaskOutOfTheParkedSet() {
    List<String> ids = parkedDue(1);
    assertThat(new DeadLetterScripts(broker).cancel(Q, ids.get(0), 1000)).isEqualTo(new DeadLetterScripts.Cancel(true, TaskState.CANCELLED));
    assertThat(raw.zcard(k.parked(Q))).isZero();
    assertThat(raw.hget(k.parking(Q), "n:" + DEP)).isEqualTo("0");
    assertUnparked(unpark("release", "1", 5, 1000, 0, 100, ids), 0, 0, 0);
  }
}
