package dev.baton.internal.jmh;

import dev.baton.internal.broker.Keys;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/** Key building: one task key, and the five keys one enqueue names. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KeysBenchmark {
  private final Keys keys = new Keys("baton");
  private final String agentType = "summarizer";
  private final String id = "0193a6f2-5b1c-7d3e-8f40-1a2b3c4d5e6f";

  @Benchmark
  public String taskKey() {
    return keys.task(agentType, id);
  }

  @Benchmark
  public void enqueueKeys(Blackhole bh) {
    bh.consume(keys.task(agentType, id));
    bh.consume(keys.stream(agentType));
    bh.consume(keys.delayed(agentType));
    bh.consume(keys.dedup(agentType, ""));
    bh.consume(keys.stats(agentType));
  }
}
