/**
 * Baton: a resilient task queue for multi-agent systems, on Redis Streams.
 *
 * <p>Start with {@link dev.baton.BatonClient}: it owns the Redis connections and hands out a
 * {@link dev.baton.Dispatcher} to enqueue tasks, an {@link dev.baton.Inspector} to read state and
 * manage dead letters, and {@link dev.baton.Worker} builders to run handlers per agent type.
 *
 * <pre>{@code
 * try (BatonClient baton = BatonClient.connect(BatonConfig.builder().redisUri("redis://127.0.0.1:6379").build());
 *      Worker worker = Worker.builder(baton)
 *          .handle("summarizer", HandlerOptions.withConcurrency(8), ctx -> Map.of("summary", summarize(ctx.payloadJson())))
 *          .build()
 *          .start()) {
 *   EnqueueResult r = baton.dispatcher().enqueue(TaskRequest.builder("summarizer").payloadJson("{\"text\":\"...\"}").build());
 *   TaskInfo done = baton.dispatcher().awaitResult(r.id(), Duration.ofSeconds(30));
 * } // the worker closes first (running tasks get its shutdown grace, the rest are released), then the client
 * }</pre>
 *
 * <p>Every thread Baton starts is a daemon thread: an open client or a running worker does not keep
 * the JVM alive. Close them (as above), or build workers with {@link
 * dev.baton.Worker.Builder#shutdownHook(boolean)} so that running tasks are drained and released
 * when the JVM exits; otherwise tasks running at exit are released only when their lease runs out.
 *
 * <p>Thread-safety: {@link dev.baton.BatonClient}, {@link dev.baton.Dispatcher}, {@link
 * dev.baton.Inspector}, {@link dev.baton.Worker} and the limiter handles are thread-safe; records
 * and exceptions are immutable; builders are not thread-safe. Each type's documentation says so.
 *
 * <p>A dependency that handlers call (an LLM, a search API) can be protected by a circuit breaker
 * shared by every worker: {@link dev.baton.resilience.DependencyConfig}, {@link dev.baton.resilience.BreakerConfig}, {@link
 * dev.baton.TaskContext#dependency(String)}.
 *
 * <p>Fleet-wide limits on a dependency, shared through Redis by every process: {@link
 * dev.baton.BatonClient#rateLimiter} (units per sliding interval, reserved before a call and
 * reconciled after it) and {@link dev.baton.BatonClient#concurrencyLimiter} (leased permits).
 *
 * <p>Everything under {@code dev.baton.internal} is implementation with no compatibility promise.
 */
package dev.baton;

import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.DependencyConfig;
