/**
 * Real processes for Baton's tests and tools, one of each: a private {@code redis-server} ({@link
 * dev.baton.testkit.RedisServer}), a loopback TCP proxy that cuts, freezes and holds replies ({@link
 * dev.baton.testkit.TcpProxy}), and a child-JVM launcher ({@link dev.baton.testkit.WorkerJvm}, with
 * {@link dev.baton.testkit.StartupCache} for fast starts).
 *
 * <p>JDK only, and independent of baton-core: core's tests use it, and {@code baton bench} and
 * {@code baton demo} start their private Redis with it.
 */
package dev.baton.testkit;
