package dev.baton.internal.server;

import dev.baton.RetryPolicy;
import dev.baton.internal.scripts.TaskScripts;
import java.time.Instant;
import java.util.Map;

/**
 * A task this worker holds: what the start script returned, plus the fencing token (entry id and
 * delivery number) that every write about it must carry.
 */
record StartedTask(
    String id,
    String agentType,
    String entryId,
    String deliveryToken,
    int attempt,
    int maxAttempts,
    long timeoutMillis,
    String payloadJson,
    Map<String, String> headers,
    RetryPolicy retryOverride,
    Instant startedAt) implements TaskScripts.Attempt {}
