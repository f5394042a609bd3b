package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.RedisExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One busy agent type never starves another served by the same worker. */
class FairnessIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final int BACKLOG = 2000;

  @Test
  void tasksOfAQuietTypeFinishWhileABusyTypeHasALargeBacklog() throws Exception {
    BatonClient baton = redis.client();
    redis.closeAfter(Worker.builder(baton)
        .handle("busy", HandlerOptions.withConcurrency(4), ctx -> {
          Thread.sleep(20); // slow-ish: at most ~200 tasks/s, so the backlog lasts ~10 s
          return null;
        })
        .handle("quiet", HandlerOptions.withConcurrency(2), ctx -> "done")
        .build()
        .start());
    List<TaskRequest> busy = new ArrayList<>();
    for (int i = 0; i < BACKLOG; i++) {
      busy.add(TaskRequest.builder("busy").build());
    }
    baton.dispatcher().enqueueAll(busy);
    List<String> quiet = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      quiet.add(baton.dispatcher().enqueue(TaskRequest.builder("quiet").build()).id()); // behind the backlog
    }

    for (String id : quiet) {
      assertThat(baton.dispatcher().awaitResult(id, Duration.ofSeconds(5)).state()).isEqualTo(TaskState.SUCCEEDED);
    }

    QueueStats stats = baton.inspector().stats("busy");
    assertThat(stats.succeeded()).isLessThan(BACKLOG / 2);
    assertThat(stats.queued()).isGreaterThan(BACKLOG / 2);
  }
}
