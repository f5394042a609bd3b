package dev.baton;

import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.client.ResultWaiter;
import dev.baton.internal.codec.Ids;
import dev.baton.internal.codec.WireFormat;
import dev.baton.internal.events.LifecycleEvents;
import dev.baton.internal.scripts.ClientV2Scripts;
import dev.baton.internal.scripts.DeadLetterScripts;
import dev.baton.internal.broker.Layout;
import dev.baton.internal.scripts.EnqueueScripts;
import dev.baton.internal.scripts.EnqueueV2Scripts;
import dev.baton.internal.scripts.EnqueueScripts.NewTask;
import dev.baton.internal.scripts.Registry;
import dev.baton.internal.scripts.ScriptStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Enqueues, cancels and awaits tasks. Get it from {@link BatonClient#dispatcher()}.
 *
 * <p>Thread-safe: one instance per client, shared by every thread; calls from many threads are
 * multiplexed on the client's connection. Methods that talk to Redis throw {@link
 * RedisUnavailableException} when it cannot be reached or does not answer within the command
 * timeout, and {@link RedisConfigurationException} when it refuses the credentials or a command.
 *
 * <p>Enqueue is idempotent on the task id: enqueuing an id that exists returns the existing task and
 * writes nothing, also when the Redis client re-sends the command after a reconnect. Everything one
 * enqueue writes is written by one script, atomically.
 */
public final class Dispatcher {
  /** Most tasks one enqueue script call creates; bounds the script's run time (Redis blocks meanwhile). */
  static final int ENQUEUE_BATCH = 100;

  private final BatonConfig config;
  private final JsonCodec codec;
  private final InstantSource clock;
  private final RedisBroker broker;
  private final EnqueueScripts enqueueScripts;
  /** Layout 2's enqueue when this process runs it ({@link Layout}), else null. */
  private final EnqueueV2Scripts v2Enqueue;
  private final DeadLetterScripts deadLetterScripts;
  /** Layout 2's cancel when this process runs it ({@link Layout}), else null. */
  private final ClientV2Scripts v2Client;
  private final Registry registry;
  private final Inspector inspector;
  private final ResultWaiter waiter;
  private final LifecycleEvents events;
  private final Set<String> registered = ConcurrentHashMap.newKeySet();

  Dispatcher(BatonConfig config, JsonCodec codec, InstantSource clock, RedisBroker broker, Inspector inspector,
      ResultWaiter waiter, LifecycleEvents events) {
    this.events = events;
    this.config = config;
    this.codec = codec;
    this.clock = clock;
    this.broker = broker;
    this.enqueueScripts = new EnqueueScripts(broker);
    this.v2Enqueue = Layout.v2() ? new EnqueueV2Scripts(broker) : null;
    this.deadLetterScripts = new DeadLetterScripts(broker);
    this.v2Client = Layout.v2() ? new ClientV2Scripts(broker) : null;
    this.registry = new Registry(broker);
    this.inspector = inspector;
    this.waiter = waiter;
  }

  /**
   * Enqueues one task.
   *
   * @param request the task
   * @return its id, whether it was created, and its state
   * @throws InvalidTaskException when the payload is not JSON or is over the size limit (nothing is written)
   * @throws BatonException when Redis fails or does not answer in time; the task may or may not exist
   */
  public EnqueueResult enqueue(TaskRequest request) {
    return enqueueAll(List.of(request)).get(0);
  }

  /**
   * Enqueues many tasks, pipelined: one round trip for the batch. All requests are validated before
   * anything is written. Tasks of one agent type go to Redis in calls of up to {@value #ENQUEUE_BATCH}
   * tasks each; each task is still created atomically on its own, as if enqueued alone.
   *
   * @param requests the tasks, of any agent types
   * @return one result per request, in the same order
   * @throws InvalidTaskException when a payload is not JSON or is over the size limit (nothing is
   *     written)
   * @throws RedisUnavailableException when Redis fails or does not answer in time; each task may or
   *     may not exist, and enqueuing the same ids again is safe
   */
  public List<EnqueueResult> enqueueAll(List<TaskRequest> requests) {
    List<Prepared> prepared = new ArrayList<>(requests.size());
    for (TaskRequest r : requests) {
      prepared.add(prepare(r));
    }
    for (Prepared p : prepared) {
      register(p.request.agentType());
    }
    // group by agent type (one script call names keys of one hash tag only), keeping the order
    Map<String, List<Integer>> byType = new LinkedHashMap<>();
    for (int i = 0; i < prepared.size(); i++) {
      byType.computeIfAbsent(prepared.get(i).request.agentType(), t -> new ArrayList<>()).add(i);
    }
    List<List<Integer>> calls = new ArrayList<>();
    List<CompletableFuture<EnqueueScripts.Replies>> replies = new ArrayList<>();
    for (List<Integer> indexes : byType.values()) {
      for (int from = 0; from < indexes.size(); from += ENQUEUE_BATCH) {
        List<Integer> call = indexes.subList(from, Math.min(indexes.size(), from + ENQUEUE_BATCH));
        calls.add(call);
        replies.add(send(prepared, call));
      }
    }
    EnqueueResult[] results = new EnqueueResult[prepared.size()];
    for (int c = 0; c < calls.size(); c++) {
      EnqueueScripts.Replies reply = broker.await(replies.get(c));
      List<Integer> call = calls.get(c);
      for (int j = 0; j < call.size(); j++) {
        String agentType = prepared.get(call.get(j)).request.agentType();
        ScriptStatus status = reply.status(j);
        String id = reply.id(j);
        if (status == ScriptStatus.DUPLICATE) {
          TaskState state = inspector.task(agentType, id).map(TaskInfo::state).orElse(null);
          results[call.get(j)] = new EnqueueResult(id, agentType, false, state);
        } else {
          results[call.get(j)] = new EnqueueResult(id, agentType, status == ScriptStatus.OK,
              TaskState.fromWire(reply.state(j)));
          if (status == ScriptStatus.OK && events.active()) {
            events.task(TaskEvent.Kind.ENQUEUED, agentType, id, 0, null, clock.instant(), null, null);
          }
        }
      }
    }
    return List.of(results);
  }

  /** One enqueue call for the tasks at {@code call} (all of one agent type). */
  private CompletableFuture<EnqueueScripts.Replies> send(List<Prepared> prepared, List<Integer> call) {
    List<NewTask> tasks = new ArrayList<>(call.size());
    for (int i : call) {
      tasks.add(prepared.get(i).task);
    }
    String agentType = prepared.get(call.get(0)).request.agentType();
    if (v2Enqueue != null) {
      return v2Enqueue.enqueue(agentType, tasks.stream().map(EnqueueV2Scripts::of).toList(), config.retention().toMillis());
    }
    return enqueueScripts.enqueue(agentType, tasks, config.retention().toMillis());
  }

  private record Prepared(TaskRequest request, NewTask task) {}

  private Prepared prepare(TaskRequest r) {
    String payload = r.payloadJson();
    int bytes = payload.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > config.maxPayloadBytes()) {
      throw new InvalidTaskException("payload", "is " + bytes + " bytes, over the limit of " + config.maxPayloadBytes());
    }
    try {
      codec.validate(payload);
    } catch (IllegalArgumentException e) {
      throw new InvalidTaskException("payload", "is not valid JSON: " + e.getMessage());
    }
    String id = r.id() != null ? r.id() : Ids.uuidV7(clock);
    return new Prepared(r, new NewTask(
        id,
        payload,
        r.maxAttempts(),
        r.timeout() == null ? 0 : r.timeout().toMillis(),
        r.delay() == null ? 0 : r.delay().toMillis(),
        r.runAt() == null ? 0 : Math.max(1, r.runAt().toEpochMilli()),
        r.dedupKey() == null ? "" : r.dedupKey(),
        WireFormat.headers(r.headers()),
        r.retryPolicy() == null ? "" : r.retryPolicy().toWire(),
        r.maxWait() == null ? 0 : r.maxWait().toMillis()));
  }

  private void register(String agentType) {
    if (!registered.contains(agentType)) {
      registry.registerQueue(agentType);
      registered.add(agentType);
    }
  }

  /**
   * Cancels a task that has not started (scheduled, queued, retrying or parked): it ends {@link
   * TaskState#CANCELLED} and no worker runs it. A running task is left alone ({@link
   * TaskState#RUNNING} is returned), and so are finished and dead ones.
   *
   * <p>With the transitional layout 2 ({@code baton.layout=2}): a task a worker has fetched counts
   * as running from the fetch on, also while it waits in the worker's prefetch buffer, and is left
   * alone; a task given back by a worker (shutdown) or taken over from one that stopped answering
   * waits as queued and is cancelled, and the worker that held it before has its outcome refused.
   *
   * @param id the task id, looked up across all agent types
   * @return {@link TaskState#CANCELLED}, or the task's state when it could not be cancelled
   * @throws TaskNotFoundException when no such task exists
   */
  public TaskState cancel(String id) {
    return cancel(inspector.find(id), id);
  }

  /**
   * As {@link #cancel(String)}, when the agent type is known (one round trip less).
   *
   * @param agentType the agent type whose queue holds the task
   * @param id the task id
   * @return {@link TaskState#CANCELLED}, or the task's state when it could not be cancelled
   * @throws TaskNotFoundException when no such task exists
   */
  public TaskState cancel(String agentType, String id) {
    if (v2Client != null) {
      ClientV2Scripts.Cancel c = v2Client.cancel(agentType, id, config.retention().toMillis());
      if (c.status() == ScriptStatus.NOT_FOUND) {
        throw new TaskNotFoundException(id);
      }
      if (c.status() == ScriptStatus.OK) {
        events.task(TaskEvent.Kind.CANCELLED, agentType, id, 0, null, clock.instant(), null, null);
      }
      return c.state();
    }
    DeadLetterScripts.Cancel c = deadLetterScripts.cancel(agentType, id, config.retention().toMillis());
    if (c.cancelled()) {
      events.task(TaskEvent.Kind.CANCELLED, agentType, id, 0, null, clock.instant(), null, null);
    }
    return c.state();
  }

  /**
   * A future completed with the task's record once it is terminal. It listens for the terminal
   * event (Pub/Sub) and re-reads the record about once a second in case an event was missed. The
   * future is not completed when the client closes.
   *
   * @param id the task id
   * @return a future of the task's terminal record
   * @throws TaskNotFoundException when no such task exists
   */
  public CompletableFuture<TaskInfo> result(String id) {
    return waiter.await(id);
  }

  /**
   * Waits until the task is terminal (succeeded, dead or cancelled) and returns its record. Woken
   * by the terminal event (Pub/Sub); each awaited record is also re-read once a second, so an event
   * lost in a reconnect delays the answer by at most about a second.
   *
   * @param id the task id
   * @param timeout the longest wait
   * @return the task's terminal record
   * @throws TimeoutException when it is not terminal within {@code timeout}
   * @throws InterruptedException when the calling thread is interrupted while waiting
   * @throws TaskNotFoundException when no such task exists
   */
  public TaskInfo awaitResult(String id, Duration timeout) throws TimeoutException, InterruptedException {
    CompletableFuture<TaskInfo> f = result(id);
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new BatonException("waiting for task " + id + " failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      f.cancel(false);
      throw new TimeoutException("task " + id + " not finished within " + timeout);
    }
  }
}
