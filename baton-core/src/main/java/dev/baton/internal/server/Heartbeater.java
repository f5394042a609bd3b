package dev.baton.internal.server;

import dev.baton.internal.broker.Keys;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.broker.Script;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the leases of every task this worker runs, a few times per lease, with one fenced script
 * call per agent type. A task whose renewal is refused (another worker took it over) is cancelled
 * and writes nothing. A task whose lease could not be renewed for a whole lease (Redis unreachable,
 * this process paused) is cancelled too: by then another worker may run it.
 */
public final class Heartbeater {
  private static final Logger log = LoggerFactory.getLogger(Heartbeater.class);
  static final int BATCH = 200;

  private final RedisBroker broker;
  private final String consumer;
  private final List<Processor> processors;

  public Heartbeater(RedisBroker broker, String consumer, List<Processor> processors) {
    this.broker = broker;
    this.consumer = consumer;
    this.processors = List.copyOf(processors);
  }

  /** Renews every running task's lease; returns the pause until the next round. */
  public Duration runOnce() {
    Duration pause = Duration.ofSeconds(5);
    RuntimeException failure = null;
    for (Processor p : processors) {
      pause = min(pause, p.options().heartbeatInterval());
      List<TaskExecution> running = p.executions().stream().filter(TaskExecution::isRunning).toList();
      for (int from = 0; from < running.size(); from += BATCH) {
        List<TaskExecution> batch = running.subList(from, Math.min(running.size(), from + BATCH));
        try {
          renew(p.agentType(), batch);
        } catch (RuntimeException e) {
          failure = e;
        }
      }
      expireUnrenewed(p);
    }
    if (failure != null) {
      throw failure; // logged by the loop; the next round tries again
    }
    return pause;
  }

  private void renew(String agentType, List<TaskExecution> batch) {
    Keys k = broker.keys();
    List<String> keys = new ArrayList<>(List.of(k.stream(agentType)));
    List<String> args = new ArrayList<>(List.of(Keys.GROUP, consumer));
    for (TaskExecution e : batch) {
      keys.add(k.task(agentType, e.task().id()));
      args.add(e.task().entryId());
      args.add(e.task().deliveryToken());
    }
    long sent = System.nanoTime();
    List<Long> codes = broker.runSync(Script.RENEW, keys.toArray(String[]::new), args.toArray(String[]::new));
    for (int i = 0; i < batch.size(); i++) {
      TaskExecution e = batch.get(i);
      if (codes.get(i) == 1L) {
        e.renewed(sent);
      } else if (e.leaseLost("lease lost: the task was taken over by another worker")) {
        log.warn("task {} of {}: lease lost (taken over elsewhere); handler cancelled, nothing written",
            e.task().id(), agentType);
      }
    }
  }

  private void expireUnrenewed(Processor p) {
    long lease = p.options().lease().toNanos();
    long now = System.nanoTime();
    for (TaskExecution e : p.executions()) {
      if (e.isRunning() && now - e.lastRenewedNanos() > lease
          && e.leaseLost("lease expired: not renewed for " + p.options().lease())) {
        log.warn("task {} of {}: lease not renewed for {}; handler cancelled, nothing written",
            e.task().id(), p.agentType(), p.options().lease());
      }
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
