package dev.baton.internal.jmh;

import dev.baton.RetryPolicy;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** {@code RetryPolicy.delayFor}: the backoff computed for every failed attempt (early and capped). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RetryPolicyBenchmark {
  @Param({"1", "20"})
  public int retry;

  private final RetryPolicy policy = RetryPolicy.DEFAULT;
  private final SplittableRandom random = new SplittableRandom(42);
  private final DoubleSupplier jitter = random::nextDouble;

  @Benchmark
  public Duration delayFor() {
    return policy.delayFor(retry, jitter);
  }

  @Benchmark
  public String wireRoundTrip() {
    return RetryPolicy.fromWire(policy.toWire()).toWire();
  }
}
