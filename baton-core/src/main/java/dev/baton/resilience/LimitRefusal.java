package dev.baton.resilience;

import java.time.Duration;

/**
 * A call a limit did not let through, reported to {@link dev.baton.LifecycleListener#onLimitRefused}.
 * Immutable.
 *
 * @param dependency the dependency whose limit refused
 * @param limit the limit's name (e.g. {@code llm:gpt-4o/requests})
 * @param key the key the call was made under ({@code default} without one)
 * @param kind which limit: {@link LimitUsage.Kind#RATE} (requests or units) or {@link
 *     LimitUsage.Kind#CONCURRENCY}
 * @param retryAfter how long until the limit could let the call through
 */
public record LimitRefusal(String dependency, String limit, String key, LimitUsage.Kind kind, Duration retryAfter) {}
