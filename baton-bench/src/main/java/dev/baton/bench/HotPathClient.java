package dev.baton.bench;

import java.util.List;

/**
 * One Redis client option for a worker-like hot path, as {@link ClientsCompared} drives it. Each
 * batch is one {@code EVALSHA} of a script over the batch's keys (one reply carrying every task's
 * value, as Baton's batched scripts do), then one small command per task: {@code HSET key s done},
 * as each task's handler finishing would send it. A batch ends when every reply is in.
 */
interface HotPathClient extends AutoCloseable {
  /**
   * Runs one batch: the script {@code sha} over {@code keys} with {@code fields} as its arguments,
   * then an HSET per key; returns how many values the script returned.
   */
  int batch(String sha, List<String> keys, List<String> fields) throws Exception;

  @Override
  void close();

  /** The per-task command's field and value. */
  String FIELD = "s";
  String VALUE = "done";
}
