package dev.baton;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named dependency that handlers call (an LLM model, a search API) and how it is protected.
 * Register it on {@link Worker.Builder#dependency(DependencyConfig)}; handlers declare it in {@link
 * HandlerOptions#dependencies()} and call it through {@link TaskContext#dependency(String)}.
 *
 * <p>Protection attached so far: a circuit breaker whose state is shared by every worker through
 * Redis. Rate and concurrency limits per dependency belong on this record as further components
 * (issue 4, item 3, built separately).
 *
 * @param name 1-64 of letters, digits, '.', '_', ':', '-', starting with a letter or digit (e.g.
 *     {@code llm:gpt-4o}); it names the Redis keys {@code P:{dep:<name>}:*}
 * @param breaker the breaker's configuration (default {@link BreakerConfig#DEFAULT})
 */
public record DependencyConfig(String name, BreakerConfig breaker) {
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");

  public DependencyConfig {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("dependency name must match " + NAME.pattern() + ", got '" + name + "'");
    }
    Objects.requireNonNull(breaker, "breaker");
  }

  /** A dependency with the default breaker. */
  public static DependencyConfig of(String name) {
    return new DependencyConfig(name, BreakerConfig.DEFAULT);
  }

  public static DependencyConfig of(String name, BreakerConfig breaker) {
    return new DependencyConfig(name, breaker);
  }
}
