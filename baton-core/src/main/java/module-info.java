/**
 * Baton's library: a resilient task queue for multi-agent systems, on Redis Streams.
 *
 * <p>Exported: {@code dev.baton} (client, dispatcher, worker, inspector, task types), {@code
 * dev.baton.resilience} (circuit breakers and fleet-wide limits per dependency) and {@code
 * dev.baton.testing} (the Redis key names, for tests, benchmarks and tools that read Redis
 * directly). Everything under {@code dev.baton.internal} is implementation with no compatibility
 * promise.
 */
module dev.baton.core {
  requires lettuce.core;
  requires tools.jackson.databind;
  requires org.slf4j;

  exports dev.baton;
  exports dev.baton.resilience;
  exports dev.baton.testing;
}
