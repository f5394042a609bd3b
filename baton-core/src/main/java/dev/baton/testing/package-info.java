/**
 * Test support for code that uses Baton: a {@link dev.baton.testing.SettableClock} to drive a worker's
 * time, and {@link dev.baton.testing.ManualLoops} to run its background loops one pass at a time.
 * Nothing here is meant for production use. Redis itself is never faked: tests run against a real
 * {@code redis-server}.
 */
package dev.baton.testing;
