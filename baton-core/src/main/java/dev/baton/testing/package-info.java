/**
 * Test support, exported for tests and benchmarks of Baton and of applications built on it: no
 * compatibility promise beyond the release it ships in. {@link dev.baton.testing.SettableClock}
 * drives a worker's time and {@link dev.baton.testing.ManualLoops} runs its background loops one
 * pass at a time; {@link dev.baton.testing.KeyNames} gives the documented key names to tools that
 * read Redis directly; {@link dev.baton.testing.HotPathDriver} starts and completes tasks by hand
 * through the worker's own script gateways (for benchmarks of one script). Nothing here is meant
 * for production use. Redis itself is never faked: tests run against a real {@code redis-server}.
 */
package dev.baton.testing;
