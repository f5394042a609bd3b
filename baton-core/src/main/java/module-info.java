/**
 * Baton's library: a resilient task queue for multi-agent systems, on Redis Streams.
 *
 * <p>Exported: {@code dev.baton} (client, dispatcher, worker, inspector, task types), {@code
 * dev.baton.resilience} (circuit breakers and fleet-wide limits per dependency) and {@code
 * dev.baton.testing} (test support: a settable clock and manual loop passes to drive a worker's
 * time, the Redis key names for tools that read Redis directly, and a driver of the hot-path scripts
 * for benchmarks). Everything under {@code dev.baton.internal} is implementation with no
 * compatibility promise.
 */
module dev.baton.core {
  requires lettuce.core;
  requires tools.jackson.databind;
  requires org.slf4j;

  exports dev.baton;
  exports dev.baton.resilience;
  exports dev.baton.testing;
}
