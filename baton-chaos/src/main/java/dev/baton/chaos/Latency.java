package dev.baton.chaos;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Nearest-rank percentiles of a set of durations in ms.
 *
 * @param count samples
 * @param p50 median, -1 without samples
 * @param p99 99th percentile, -1 without samples
 * @param max largest, -1 without samples
 */
public record Latency(int count, long p50, long p99, long max) {
  public static final Latency NONE = new Latency(0, -1, -1, -1);

  public static Latency of(List<Long> samples) {
    if (samples.isEmpty()) {
      return NONE;
    }
    List<Long> s = new ArrayList<>(samples);
    Collections.sort(s);
    return new Latency(s.size(), rank(s, 0.50), rank(s, 0.99), s.get(s.size() - 1));
  }

  private static long rank(List<Long> sorted, double p) {
    int i = (int) Math.ceil(p * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  public String describe() {
    return count == 0 ? "n=0" : "p50 " + p50 + " ms, p99 " + p99 + " ms, max " + max + " ms (n=" + count + ")";
  }
}
