package dev.baton.chaos;

import java.util.Optional;

/**
 * A fault the runner injected, with wall-clock times (epoch ms, the same clock as the histories).
 *
 * @param kind what was done
 * @param worker consumer name of the worker incarnation hit; "" for Redis
 * @param startMillis when it began (for a kill: just before the signal was sent)
 * @param endMillis when it ended: SIGCONT, thaw, Redis answering again; equals start for a kill or a cut
 */
public record FaultEvent(Kind kind, String worker, long startMillis, long endMillis) {

  public enum Kind {
    /** {@code kill -9} of a worker JVM; it is restarted under a new consumer name. */
    KILL,
    /** {@code SIGSTOP} of a worker for longer than the lease, then {@code SIGCONT}. */
    PAUSE,
    /** The worker's proxy stops forwarding bytes (connections stay open), then resumes. */
    FREEZE,
    /** The worker's proxy resets every connection at once. */
    CUT,
    /** {@code kill -9} of redis-server, restarted from its AOF. */
    REDIS_CRASH,
    /** Not a fault: a worker stopped at the end of the run. */
    STOP
  }

  public boolean isRedis() {
    return kind == Kind.REDIS_CRASH;
  }

  public String toLine() {
    return kind.name().toLowerCase() + "\t" + (worker.isEmpty() ? "-" : worker) + "\t" + startMillis + "\t"
        + endMillis + "\n";
  }

  public static Optional<FaultEvent> parse(String line) {
    String[] f = line.strip().split("\t");
    if (f.length != 4) {
      return Optional.empty();
    }
    try {
      return Optional.of(new FaultEvent(Kind.valueOf(f[0].toUpperCase()), f[1].equals("-") ? "" : f[1],
          Long.parseLong(f[2]), Long.parseLong(f[3])));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
