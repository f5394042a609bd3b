package dev.baton.internal.jmh;

import dev.baton.internal.codec.Ids;
import java.time.InstantSource;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code Ids.uuidV7}, the id of every task enqueued without one (a shared {@code SecureRandom}),
 * against the JDK's {@code UUID.randomUUID()} (v4, also SecureRandom); single-threaded and with
 * four threads, to show contention on the shared generator.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IdsBenchmark {
  private final InstantSource clock = InstantSource.system();

  @Benchmark
  public String uuidV7() {
    return Ids.uuidV7(clock);
  }

  @Benchmark
  @Threads(4)
  public String uuidV7FourThreads() {
    return Ids.uuidV7(clock);
  }

  @Benchmark
  public String jdkRandomUuid() {
    return UUID.randomUUID().toString();
  }
}
