package dev.baton.chaos;

import dev.baton.chaos.FaultEvent.Kind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The faults of one run, drawn from the seed: what to do, to which worker slot, when (offset from
 * the start of the fault window) and for how long. The same seed gives the same plan.
 */
final class FaultPlan {
  /** One planned fault; {@code slot} is -1 for Redis. */
  record Action(long atMillis, Kind kind, int slot, long durationMillis) {}

  private FaultPlan() {}

  static List<Action> draw(ChaosSettings s, Random random) {
    long window = s.seconds() * 1000L;
    List<Action> plan = new ArrayList<>();
    for (int i = 0; i < s.kills(); i++) {
      plan.add(new Action(between(random, 1_000, window - 1_000), Kind.KILL, random.nextInt(s.workers()), 0));
    }
    for (int i = 0; i < s.pauses(); i++) {
      plan.add(new Action(between(random, 2_000, window - 6_000), Kind.PAUSE, random.nextInt(s.workers()),
          s.leaseMs() + between(random, 1_000, 3_000)));
    }
    for (int i = 0; i < s.freezes(); i++) {
      plan.add(new Action(between(random, 2_000, window - 7_000), Kind.FREEZE, random.nextInt(s.workers()),
          2 * s.leaseMs() + between(random, 0, 1_000)));
    }
    for (int i = 0; i < s.cuts(); i++) {
      plan.add(new Action(between(random, 1_000, window - 1_000), Kind.CUT, random.nextInt(s.workers()), 0));
    }
    for (int i = 0; i < s.redisCrashes(); i++) {
      plan.add(new Action(between(random, window / 10, window * 85 / 100), Kind.REDIS_CRASH, -1,
          between(random, 200, Math.max(201, s.redisDownMaxMs()))));
    }
    plan.sort(Comparator.comparingLong(Action::atMillis));
    return plan;
  }

  private static long between(Random r, long from, long to) {
    return to <= from ? from : from + (long) (r.nextDouble() * (to - from));
  }
}
