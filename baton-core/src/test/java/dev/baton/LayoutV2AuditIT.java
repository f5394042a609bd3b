package dev.baton;

import static dev.baton.LayoutV2Fixture.A;
import static dev.baton.LayoutV2Fixture.ATTEMPT;
import static dev.baton.LayoutV2Fixture.Q;
import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.scripts.RecoveryScripts.Audited;
import dev.baton.internal.scripts.TaskV2Scripts.Held;
import dev.baton.internal.server.Janitor;
import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The janitor's audit on layout 2 (v2/audit.lua, docs/hot-path-v2.md): it walks the index buckets
 * and dead-letters a waiting task whose stream entry was deleted outside Baton, leaves an entry
 * still pending to the recoverer, puts a delayed, parked or dead task missing from its set back,
 * and writes nothing on a wrong-typed key.
 */
class LayoutV2AuditIT {
  @RegisterExtension static final Layout2Extension layout2 = new Layout2Extension();
  @RegisterExtension static final RedisExtension redis = new RedisExtension();


  private LayoutV2Fixture v2;
  private Janitor janitor;



  @BeforeEach
  void setUp() {
    v2 = new LayoutV2Fixture(redis);
    janitor = new Janitor(redis.client().broker(), List.of(Q), 10_000, Duration.ofSeconds(30), "janitor",
        Duration.ofHours(1));
  }

  /** Audit rounds until a pass over the whole index ended; returns the tasks dead-lettered. */
  private long auditPass() {
    long dead = 0;
    int rounds = 0;
    do {
      dead += janitor.audit(Q);
      assertThat(++rounds).isLessThan(100);
    } while (!janitor.auditPassEnded(Q));
    return dead;
  }

  @Test
  void waitingTasksWhoseEntriesWereDeletedOutsideBatonAreDeadLetteredAcrossTheIndex() throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ids.add("t-" + i);
      v2.enqueue(LayoutV2Fixture.now("t-" + i, ""));
    }
    String eid = v2.index("t-7");
    v2.raw.xdel(v2.k.stream(Q), eid);
    v2.raw.xdel(v2.k.stream(Q), v2.index("t-31"));
    BlockingQueue<String> finished = v2.subscribe(v2.k.finishedChannel(Q));

    assertThat(auditPass()).isEqualTo(2);

    assertThat(v2.index("t-7")).isEqualTo("x");
    assertThat(v2.index("t-31")).isEqualTo("x");
    assertThat(v2.record("t-7")).containsEntry("st", "dead").containsEntry("id", "t-7").containsEntry("dn", "1")
        .containsEntry("att", "0").containsEntry("why", "stream entry " + eid + " deleted outside Baton")
        .containsEntry("ct", Long.toString(LayoutV2Fixture.msOf(eid)));
    assertThat(v2.raw.zrange(v2.k.dead(Q), 0, -1)).containsExactlyInAnyOrder("t-7", "t-31");
    assertThat(v2.stat("dead")).isEqualTo("2");
    assertThat(List.of(finished.poll(5, TimeUnit.SECONDS), finished.poll(5, TimeUnit.SECONDS)))
        .containsExactlyInAnyOrder("t-7", "t-31");
    for (String id : ids) {
      if (!id.equals("t-7") && !id.equals("t-31")) {
        assertThat(v2.index(id)).as(id).doesNotStartWith("x");
      }
    }
    // the dead letter reads as one
    assertThat(redis.client().inspector().deadLetters(Q, 0, 10)).extracting(TaskInfo::deadReason)
        .allMatch(w -> w.startsWith("stream entry "));
    assertThat(auditPass()).isZero(); // nothing more on the next pass
  }

  @Test
  void aRedeliveryWhoseEntryIsGoneIsDeadLetteredWithItsCounts() {
    Held held = v2.deliver("t-1");
    v2.tasks.retry(Q, held, ATTEMPT, 0);
    v2.makeDue("t-1");
    v2.recovery.promote(Q, List.of("t-1"));
    String token = v2.index("t-1");
    assertThat(token).startsWith("q2,1,0,0,");
    v2.raw.xdel(v2.k.stream(Q), token.substring(token.lastIndexOf(',') + 1));

    assertThat(auditPass()).isEqualTo(1);

    assertThat(v2.index("t-1")).isEqualTo("x");
    assertThat(v2.record("t-1")).containsEntry("st", "dead").containsEntry("dn", "2").containsEntry("att", "1")
        .containsKey("p").containsKey("hist");
    assertThat(redis.client().inspector().replay(Q, "t-1")).isTrue(); // its payload was in the record
  }

  @Test
  void anEntryStillPendingIsLeftToTheRecoverer() {
    Held held = v2.deliver("t-1"); // read by worker-a
    v2.raw.xdel(v2.k.stream(Q), held.token());

    assertThat(auditPass()).isZero();
    assertThat(v2.index("t-1")).isEqualTo(held.token());
  }

  @Test
  void delayedParkedAndDeadTasksMissingFromTheirSetsArePutBack() {
    Held r = v2.deliver("t-d");
    v2.tasks.retry(Q, r, ATTEMPT, 60_000);
    String due = v2.record("t-d").get("sa");
    Held p = v2.deliver("t-k");
    v2.tasks.park(Q, p, "db", "down", 60_000, "unavailable");
    Held x = v2.deliver("t-x");
    v2.tasks.deadLetter(Q, x, ATTEMPT, "gave up");
    String died = v2.record("t-x").get("ft");
    v2.raw.del(v2.k.delayed(Q), v2.k.parked(Q), v2.k.dead(Q));

    assertThat(auditPass()).isZero();

    assertThat(v2.raw.zscore(v2.k.delayed(Q), "t-d")).isEqualTo(Double.parseDouble(due));
    assertThat(v2.raw.zscore(v2.k.parked(Q), "t-k")).isEqualTo(Double.parseDouble(v2.record("t-k").get("sa")));
    assertThat(v2.raw.zscore(v2.k.dead(Q), "t-x")).isEqualTo(Double.parseDouble(died));
    assertThat(v2.stat("dead")).isEqualTo("1"); // a repair counts nothing
  }

  @Test
  void aWrongTypedKeyFailsTheAuditAndWritesNothing() {
    for (String key : List.of(v2.k.stream(Q), v2.k.dead(Q), v2.k.stats(Q), v2.k.delayed(Q), v2.k.parked(Q),
        v2.k.indexBucket(Q, "t-1"), v2.k.task(Q, "t-1"))) {
      clear();
      v2.enqueue(LayoutV2Fixture.now("t-1", ""));
      v2.breakKey(key);
      v2.assertWrongTypeWritesNothing("audit", key, () -> v2.recovery.audit(Q, List.of("t-1")));
    }
  }

  @Test
  void theAuditScriptReportsWhatItDidForTheIdsItIsGiven() {
    v2.enqueue(LayoutV2Fixture.now("t-1", ""), LayoutV2Fixture.now("t-2", ""));
    v2.raw.xdel(v2.k.stream(Q), v2.index("t-1"));
    v2.raw.hset(v2.k.indexBucket(Q, "t-2"), "t-2", "x"); // dead, missing from the dead set

    Audited a = v2.recovery.audit(Q, List.of("t-1", "t-2", "t-1", "t-unknown"));

    assertThat(a.deadIds()).containsExactly("t-1");
    assertThat(a.repairedIds()).containsExactly("t-2");
  }

  @Test
  void pruningKeepsAReservedConsumerWhileItHoldsAnEntry() throws Exception {
    Held held = v2.deliver("t-1");
    v2.tasks.release(Q, List.of(held), dev.baton.internal.scripts.TaskV2Scripts.ReleaseKind.PLAIN, 1_000);
    Thread.sleep(20); // idle longer than the 10 ms limit
    new Janitor(redis.client().broker(), List.of(Q), 10_000, Duration.ofSeconds(30), "janitor",
        Duration.ofMillis(10)).runOnce();

    List<String> left = v2.raw.xinfoConsumers(v2.k.stream(Q), dev.baton.internal.broker.Keys.GROUP).stream()
        .map(c -> String.valueOf(((List<?>) c).get(1))).toList();
    assertThat(left).containsExactly("~released"); // worker-a held nothing any more: deleted
    assertThat(v2.pendingPerConsumer()).containsEntry("~released", 1L);
  }

  /** Deletes every key of the test's prefix. */
  private void clear() {
    List<String> keys = v2.raw.keys(redis.prefix() + ":*");
    if (!keys.isEmpty()) {
      v2.raw.del(keys.toArray(String[]::new));
    }
  }
}
