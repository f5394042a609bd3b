/**
 * The gateways to Redis: one class per family of Lua scripts, each the only code that knows its
 * scripts' KEYS/ARGV layouts (built from {@code Keys}) and reply shapes, with typed methods and
 * results. {@link dev.baton.internal.scripts.ScriptStatus} maps every status code a script returns
 * to its meaning, {@code ScriptErrors} the error statuses to exceptions. Below them, {@code
 * RedisBroker} is transport only. Outside this package and the broker's, no code names a {@code
 * Script} (ScriptAccessTest checks it). docs/data-model.md lists which gateway owns which script.
 */
package dev.baton.internal.scripts;
