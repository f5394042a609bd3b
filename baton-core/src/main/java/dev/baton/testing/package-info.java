/**
 * Test support, exported for tests and benchmarks of Baton and of applications built on it: no
 * compatibility promise beyond the release it ships in. Holds {@link dev.baton.testing.KeyNames},
 * the documented key names for tools that read Redis directly.
 */
package dev.baton.testing;
