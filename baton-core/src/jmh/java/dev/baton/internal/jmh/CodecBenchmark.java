package dev.baton.internal.jmh;

import dev.baton.internal.codec.JacksonCodec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code JacksonCodec.validate}: the JSON check every enqueue makes on the client, and every start on
 * the worker, for a 100-byte and a 10 KB payload.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CodecBenchmark {
  @Param({"100", "10240"})
  public int bytes;

  private String payload;

  @Setup
  public void setUp() {
    payload = Payloads.json(bytes);
  }

  @Benchmark
  public String validate() {
    JacksonCodec.INSTANCE.validate(payload);
    return payload;
  }
}
