package dev.baton.bench;

/** One part of the benchmark. It adds its {@link Row}s to the context's report. */
interface Scenario {
  void run(BenchContext ctx) throws Exception;
}
