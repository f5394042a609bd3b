package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.scripts.Registry;
import dev.baton.internal.server.DatasetWatch;
import dev.baton.testing.RedisExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** F9: a worker notices that Redis lost Baton's data instead of silently starting over. */
class DatasetLossIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  @Test
  void aFlushedDatasetIsReportedOnceAndTheNewEpochAdopted() {
    RedisBroker broker = redis.closeAfter(new RedisBroker(redis.config().build()));
    DatasetWatch watch = new DatasetWatch(broker, Duration.ofSeconds(5));
    watch.start();
    watch.runOnce();
    assertThat(watch.losses()).isZero();

    redis.raw().flushall();
    watch.runOnce();
    assertThat(watch.losses()).isEqualTo(1);

    watch.runOnce();
    assertThat(watch.losses()).as("reported once, then the new dataset is the one watched").isEqualTo(1);
  }

  @Test
  void workersShareOneEpoch() {
    RedisBroker a = redis.closeAfter(new RedisBroker(redis.config().build()));
    RedisBroker b = redis.closeAfter(new RedisBroker(redis.config().build()));
    assertThat(new Registry(a).epoch("first")).isEqualTo("first");
    assertThat(new Registry(b).epoch("second")).isEqualTo("first");
  }
}
