package dev.baton.internal.server;

import dev.baton.JsonCodec;
import dev.baton.internal.breaker.Breakers;
import dev.baton.internal.broker.RedisBroker;
import dev.baton.internal.events.LifecycleEvents;
import dev.baton.internal.time.Timekeeper;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.function.DoubleSupplier;

/**
 * What every component of one worker shares.
 *
 * @param clock every instant the worker records and every wait and timer it runs by its own time
 *     (task deadlines among them)
 * @param consumerName this worker's consumer name in every group: unique per process incarnation
 * @param handlers runs handlers, one virtual thread per task
 * @param random jitter source for backoff, in [0, 1)
 * @param breakers the breakers of the dependencies this worker registered
 * @param outcomeRetryWindow how long a failed outcome write is retried before the entry is left
 *     pending for recovery
 * @param completer writes successful outcomes in batches
 * @param events the lifecycle listeners of the client, {@link LifecycleEvents#NONE} without any
 * @param maxFaultReleases how many times one task may be released uncounted for a worker fault
 *     before the next fault is charged as a failed attempt
 */
public record WorkerRuntime(
    RedisBroker broker,
    JsonCodec codec,
    Timekeeper clock,
    String consumerName,
    ExecutorService handlers,
    DoubleSupplier random,
    long retentionMillis,
    int maxResultBytes,
    Duration outcomeRetryWindow,
    Breakers breakers,
    Completer completer,
    LifecycleEvents events,
    int maxFaultReleases) {}
