package dev.baton.internal.server;

import dev.baton.testing.ManualLoops;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * {@link ManualLoops} over the background components of a worker built to run them by hand: each
 * call is one {@code runOnce()} of the component, serialized per component (they keep state between
 * passes, as on their own loop thread).
 */
public final class ManualPasses implements ManualLoops {
  private final Pass promoter;
  private final Pass recoverer;
  private final Pass janitor;
  private final Pass unparker;
  private final Pass heartbeats;
  private final Pass datasetWatch;

  public ManualPasses(Promoter promoter, Recoverer recoverer, Janitor janitor, Unparker unparker,
      Heartbeater heartbeater, DatasetWatch datasetWatch) {
    this.promoter = new Pass(promoter::runOnce);
    this.recoverer = new Pass(recoverer::runOnce);
    this.janitor = new Pass(janitor::runOnce);
    this.unparker = new Pass(unparker::runOnce);
    this.heartbeats = new Pass(heartbeater::runOnce);
    this.datasetWatch = new Pass(datasetWatch::runOnce);
  }

  @Override
  public Duration runPromoterOnce() {
    return promoter.run();
  }

  @Override
  public Duration runRecovererOnce() {
    return recoverer.run();
  }

  @Override
  public Duration runJanitorOnce() {
    return janitor.run();
  }

  @Override
  public Duration runUnparkerOnce() {
    return unparker.run();
  }

  @Override
  public Duration runHeartbeatsOnce() {
    return heartbeats.run();
  }

  @Override
  public Duration runDatasetWatchOnce() {
    return datasetWatch.run();
  }

  private static final class Pass {
    private final Supplier<Duration> pass;
    private final ReentrantLock lock = new ReentrantLock();

    Pass(Supplier<Duration> pass) {
      this.pass = pass;
    }

    Duration run() {
      lock.lock();
      try {
        return pass.get();
      } finally {
        lock.unlock();
      }
    }
  }
}
