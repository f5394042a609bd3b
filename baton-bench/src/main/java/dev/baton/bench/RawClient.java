package dev.baton.bench;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One Redis client's way of running the raw cycle: a producer connection pipelines {@code XADD}
 * (at most {@value #WINDOW} unanswered), a consumer connection loops {@code XREADGROUP COUNT}
 * {@value #COUNT} and acknowledges each batch ({@code XACK}, plus {@code XDEL} when asked), the
 * acknowledgement pipelined with the next read. {@link RawCycle} runs the producer on its own thread
 * and the consumer on the calling one.
 */
interface RawClient extends AutoCloseable {
  int WINDOW = 1_000;
  int COUNT = 100;
  String GROUP = "g";
  String CONSUMER = "c";

  /** Adds {@code n} entries {@code {t: raw-<i>, p: payload}}; returns when every XADD is answered. */
  void produce(String stream, int n, String payload) throws Exception;

  /**
   * Reads and acknowledges {@code n} entries; returns when the last acknowledgement is answered.
   * Calls {@code guard.check} before each read, which throws when the producer failed or time is up.
   */
  void consume(String stream, int n, boolean xdel, AtomicLong progress, Guard guard) throws Exception;

  @Override
  void close();

  /** Stops a consumer whose producer failed, or that ran out of time. */
  interface Guard {
    void check(long got);
  }
}
