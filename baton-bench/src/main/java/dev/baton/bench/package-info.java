/**
 * The benchmark harness behind {@code baton bench}: one class per scenario ({@link
 * dev.baton.bench.RawCycle}, {@link dev.baton.bench.EnqueueThroughput}, {@link
 * dev.baton.bench.EndToEnd}, {@link dev.baton.bench.Latency}, {@link dev.baton.bench.MemoryPerTask},
 * {@link dev.baton.bench.ManyQueues}, {@link dev.baton.bench.HotPathScripts}, and the opt-in {@link
 * dev.baton.bench.ClientsCompared}), Redis counters ({@link dev.baton.bench.RedisProbe}), the
 * report ({@link dev.baton.bench.Report}) and the command ({@link dev.baton.bench.BenchCommand}).
 *
 * <p>It drives Baton through its public API, and uses three internals that have no public form:
 * {@code Keys} (for the "finished" channel and record key names), {@code JacksonCodec} and
 * {@code Ids} (in the JMH suite). Only {@link dev.baton.bench.BenchCommand} and {@link
 * dev.baton.bench.BenchWorkerMain} are public. Besides Lettuce (Baton's client) it uses Jedis, only
 * to measure the raw limit and the client options against the fastest pipelined JVM client. Method
 * and limits: docs/benchmarks.md.
 */
package dev.baton.bench;
