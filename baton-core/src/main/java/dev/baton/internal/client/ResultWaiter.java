package dev.baton.internal.client;

import dev.baton.TaskInfo;
import dev.baton.TaskNotFoundException;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.time.Timekeeper;
import dev.baton.testing.SettableClock;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Completes futures when tasks reach a terminal state. Listens on each agent type's "finished"
 * channel, and re-reads every awaited record once a second so that an event missed during a
 * reconnect delays an answer by at most that long, never forever. The re-check runs on the client's
 * clock: with a {@code SettableClock} it runs when the test moves the clock a second on. A task is
 * read with the reader it is given (the inspector's, which reads the layout this process runs: a
 * record on layout 1; on layout 2 the finished value, the record of a dead task, or the live state).
 */
public final class ResultWaiter implements AutoCloseable {
  static final Duration RECHECK = Duration.ofSeconds(1);

  private record Waiter(String queue, String id, CompletableFuture<TaskInfo> future) {}

  private final RedisBroker broker;
  private final BiFunction<String, String, Optional<TaskInfo>> read;
  private final Function<String, String> locate;
  private final InstantSource clock;
  private final Map<String, List<Waiter>> waiters = new ConcurrentHashMap<>();
  private final Set<String> subscribed = ConcurrentHashMap.newKeySet();
  private final ReentrantLock lock = new ReentrantLock();
  private StatefulRedisPubSubConnection<String, String> pubsub;
  private ScheduledExecutorService ticker;
  private Timekeeper.Timer recheck;

  /**
   * @param locate the agent type holding a task id (throws {@link TaskNotFoundException} when none)
   * @param read a task of an agent type now, empty when there is none
   */
  public ResultWaiter(RedisBroker broker, Function<String, String> locate,
      BiFunction<String, String, Optional<TaskInfo>> read, InstantSource clock) {
    this.broker = broker;
    this.read = read;
    this.locate = locate;
    this.clock = clock;
  }

  /** @throws TaskNotFoundException when no agent type holds the task */
  public CompletableFuture<TaskInfo> await(String id) {
    String queue = locate.apply(id);
    CompletableFuture<TaskInfo> future = new CompletableFuture<>();
    Waiter w = new Waiter(queue, id, future);
    waiters.computeIfAbsent(id, x -> new CopyOnWriteArrayList<>()).add(w);
    future.whenComplete((r, e) -> remove(w));
    start(queue);
    check(w);
    return future;
  }

  private void start(String queue) {
    lock.lock();
    try {
      if (pubsub == null) {
        pubsub = broker.connectPubSub();
        pubsub.addListener(new RedisPubSubAdapter<>() {
          @Override
          public void message(String channel, String ids) {
            // one message names every task a completion call finished, separated by spaces
            for (String id : ids.split(" ")) {
              List<Waiter> ws = waiters.get(id);
              if (ws != null) {
                Thread.ofVirtual().start(() -> ws.forEach(ResultWaiter.this::check));
              }
            }
          }
        });
        if (clock instanceof SettableClock) {
          // its timers fire on the test's thread: re-read on another one, as the reads wait for Redis
          recheck = Timekeeper.of(clock, null).scheduleRepeating(
              () -> Thread.ofVirtual().name("baton-result-recheck").start(this::recheckAll), RECHECK);
        } else {
          ticker = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
              .name("baton-result-waiter").unstarted(r));
          recheck = Timekeeper.of(clock, ticker).scheduleRepeating(this::recheckAll, RECHECK);
        }
      }
      if (subscribed.add(queue)) {
        pubsub.sync().subscribe(broker.keys().finishedChannel(queue));
      }
    } finally {
      lock.unlock();
    }
  }

  private void recheckAll() {
    for (List<Waiter> ws : waiters.values()) {
      ws.forEach(this::check);
    }
  }

  private void check(Waiter w) {
    if (w.future.isDone()) {
      return;
    }
    try {
      Optional<TaskInfo> found = read.apply(w.queue, w.id);
      if (found.isEmpty()) {
        w.future.completeExceptionally(new TaskNotFoundException(w.id));
        return;
      }
      TaskInfo info = found.get();
      if (info.state().isTerminal()) {
        w.future.complete(info);
      }
    } catch (RuntimeException e) {
      // Redis unreachable or a malformed record: the next recheck tries again
    }
  }

  private void remove(Waiter w) {
    waiters.computeIfPresent(w.id, (id, ws) -> {
      ws.remove(w);
      return ws.isEmpty() ? null : ws;
    });
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (recheck != null) {
        recheck.cancel();
      }
      if (ticker != null) {
        ticker.shutdownNow();
      }
      if (pubsub != null) {
        pubsub.close();
      }
    } finally {
      lock.unlock();
    }
  }
}
