package dev.baton.chaos;

import dev.baton.BatonClient;
import dev.baton.EnqueueResult;
import dev.baton.TaskRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Enqueues a run's tasks in batches of 50 at a steady rate, so the last batch goes out at 80 % of
 * the fault window, but holds back while more than 4 x workers x concurrency tasks wait in the
 * stream: a task taken over from a dead worker goes to the back of the stream, so a long backlog
 * would measure the backlog, not the recovery (on a loaded machine the workers can fall far
 * behind). A batch that fails (Redis down) is retried with the same ids until it is acknowledged:
 * enqueue is idempotent on the id. A task counts as accepted once an enqueue of it returned.
 */
final class TaskProducer {
  private static final int BATCH = 50;

  private final ChaosSettings s;
  private final BatonClient client;
  private final List<String> accepted;
  private final AtomicLong enqueued = new AtomicLong();
  private final AtomicBoolean stop = new AtomicBoolean();

  /**
   * One task's planned work: handler sleep (84 % 2-20 ms, 12 % 50-200 ms, 3.5 % 0.4-1.5 s, 0.5 % 3-6 s,
   * past the lease), and whether attempt 1 fails on purpose (2 %, to exercise retries).
   */
  record Work(String id, long millis, boolean failFirst) {
    static List<Work> draw(int n, Random r) {
      List<Work> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        double x = r.nextDouble();
        long ms = x < 0.84 ? 2 + r.nextInt(19)
            : x < 0.96 ? 50 + r.nextInt(151)
            : x < 0.995 ? 400 + r.nextInt(1101)
            : 3_000 + r.nextInt(3_001); // longer than the lease: kept alive by heartbeats
        out.add(new Work(String.format("t%07d", i), ms, r.nextDouble() < 0.02));
      }
      return out;
    }

    TaskRequest request() {
      return TaskRequest.builder(ChaosRun.QUEUE).id(id)
          .payloadJson("{\"ms\":" + millis + ",\"fail\":" + (failFirst ? 1 : 0) + "}").build();
    }
  }

  /** @param accepted where accepted task ids go, in order; safe to read from other threads */
  TaskProducer(ChaosSettings s, BatonClient client, List<String> accepted) {
    this.s = s;
    this.client = client;
    this.accepted = accepted;
  }

  long enqueued() {
    return enqueued.get();
  }

  void stop() {
    stop.set(true);
  }

  /** Enqueues {@code work}, pacing from {@code t0} (epoch ms). */
  void run(List<Work> work, long t0) {
    long spread = s.seconds() * 800L;
    long backlogCap = Math.max(100, 4L * s.workers() * s.concurrency());
    for (int from = 0; from < work.size() && !stop.get(); from += BATCH) {
      List<Work> chunk = work.subList(from, Math.min(work.size(), from + BATCH));
      ChaosRun.sleepUntil(t0 + spread * from / Math.max(1, work.size()));
      while (!stop.get() && backlog() > backlogCap) {
        ChaosRun.sleep(100);
      }
      while (!stop.get()) {
        try {
          List<EnqueueResult> results = client.dispatcher().enqueueAll(chunk.stream().map(Work::request).toList());
          results.forEach(r -> accepted.add(r.id()));
          enqueued.addAndGet(results.size());
          break;
        } catch (RuntimeException e) {
          ChaosRun.sleep(200); // unknown outcome: the same ids again
        }
      }
    }
  }

  /** Tasks waiting in the stream; 0 when Redis cannot be asked (the enqueue then finds out). */
  private long backlog() {
    try {
      return client.inspector().stats(ChaosRun.QUEUE).queued();
    } catch (RuntimeException e) {
      return 0;
    }
  }
}
