package dev.baton.resilience;

import dev.baton.BatonClient;
import dev.baton.HandlerOptions;
import dev.baton.TaskContext;
import dev.baton.Worker;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named dependency that handlers call (an LLM model, a search API) and how it is protected.
 * Register it on {@link Worker.Builder#dependency(DependencyConfig)}; handlers declare it in {@link
 * HandlerOptions#dependencies()} and call it through {@link TaskContext#dependency(String)}.
 *
 * <p>Protection: a circuit breaker whose state is shared by every worker through Redis, and
 * optionally fleet-wide limits, also kept in Redis, that every call through {@link
 * Dependency#call} passes: requests per interval, weighted units per interval (e.g. LLM tokens per
 * minute: a call reserves its estimate and reports what it really used) and calls at once. A call
 * a limit refuses is not made; its task is parked for the limit's retry-after without consuming an
 * attempt. The limits are the ones of {@link BatonClient#rateLimiter} and {@link
 * BatonClient#concurrencyLimiter}, named {@code <name>/requests}, {@code <name>/units} and {@code
 * <name>}, so other code can share them.
 *
 * <p>Immutable and thread-safe; the {@code with*} methods return copies.
 *
 * @param name 1-64 of letters, digits, '.', '_', ':', '-', starting with a letter or digit (e.g.
 *     {@code llm:gpt-4o}); it names the Redis keys {@code P:{dep:<name>}:*}
 * @param breaker the breaker's configuration (default {@link BreakerConfig#DEFAULT})
 * @param requestLimit calls per interval, or null for none
 * @param unitLimit weighted units per interval (tokens), or null for none; only calls that give an
 *     estimate ({@link Dependency#call(long, Dependency.MeteredCall)}) reserve units
 * @param concurrencyLimit calls at once across the fleet, or null for none
 */
public record DependencyConfig(String name, BreakerConfig breaker, RateLimit requestLimit, RateLimit unitLimit,
    ConcurrencyLimit concurrencyLimit) {
  /** Dependency names: a letter or digit, then letters, digits, '.', '_', ':' or '-'; at most 64. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

  /**
   * Validates the name.
   *
   * @throws IllegalArgumentException when the name does not match {@link #NAME}
   */
  public DependencyConfig {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("dependency name must match " + NAME.pattern() + ", got '" + name + "'");
    }
    Objects.requireNonNull(breaker, "breaker");
  }

  /**
   * A dependency protected by {@code breaker} only, with no limit.
   *
   * @param name the dependency's name, matching {@link #NAME}
   * @param breaker the breaker's configuration
   * @throws IllegalArgumentException when the name is invalid
   */
  public DependencyConfig(String name, BreakerConfig breaker) {
    this(name, breaker, null, null, null);
  }

  /**
   * The same, limited to {@code limit} calls per interval (default: no request limit).
   *
   * @param limit calls per interval
   * @return a copy with the limit
   */
  public DependencyConfig withRequestLimit(RateLimit limit) {
    return new DependencyConfig(name, breaker, Objects.requireNonNull(limit, "limit"), unitLimit, concurrencyLimit);
  }

  /**
   * The same, limited to {@code limit} weighted units (e.g. tokens) per interval (default: no unit
   * limit).
   *
   * @param limit units per interval
   * @return a copy with the limit
   */
  public DependencyConfig withUnitLimit(RateLimit limit) {
    return new DependencyConfig(name, breaker, requestLimit, Objects.requireNonNull(limit, "limit"), concurrencyLimit);
  }

  /**
   * The same, limited to {@code limit} calls at once across the fleet (default: no concurrency
   * limit).
   *
   * @param limit calls at once
   * @return a copy with the limit
   */
  public DependencyConfig withConcurrencyLimit(ConcurrencyLimit limit) {
    return new DependencyConfig(name, breaker, requestLimit, unitLimit, Objects.requireNonNull(limit, "limit"));
  }

  /**
   * A dependency with the default breaker ({@link BreakerConfig#DEFAULT}) and no limit.
   *
   * @param name the dependency's name, matching {@link #NAME}
   * @return the configuration
   * @throws IllegalArgumentException when the name is invalid
   */
  public static DependencyConfig of(String name) {
    return new DependencyConfig(name, BreakerConfig.DEFAULT);
  }

  /**
   * A dependency with this breaker and no limit.
   *
   * @param name the dependency's name, matching {@link #NAME}
   * @param breaker the breaker's configuration
   * @return the configuration
   * @throws IllegalArgumentException when the name is invalid
   */
  public static DependencyConfig of(String name, BreakerConfig breaker) {
    return new DependencyConfig(name, breaker);
  }
}
