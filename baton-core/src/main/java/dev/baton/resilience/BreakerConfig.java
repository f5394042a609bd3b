package dev.baton.resilience;

import java.time.Duration;
import java.util.Objects;

/**
 * How one dependency's circuit breaker decides, with resilience4j's semantics and defaults. Build
 * with {@link #builder()}; every setter may be called once, and {@link Builder#build()} validates.
 * Immutable and thread-safe; the builder is not thread-safe.
 *
 * @param windowType {@link WindowType#COUNT}: the last {@code windowSize} calls; {@link
 *     WindowType#TIME}: the calls of the last {@code windowSize} seconds
 * @param windowSize calls (count window, default 100) or seconds (time window, default 60)
 * @param minimumCalls calls in the window before the rates are evaluated (default 20)
 * @param failureRateThreshold percent of failed calls that opens the breaker (default 50)
 * @param slowCallRateThreshold percent of slow calls that opens the breaker (default 100)
 * @param slowCallDuration a call taking at least this long is slow (default 60 s)
 * @param waitInOpen how long the breaker stays open before probing (default 30 s)
 * @param permittedProbes probe calls allowed fleet-wide in half-open; this many successes close
 *     the breaker, one failure opens it again (default 3)
 * @param probeLease a probe not recorded within this time (its worker died) frees its slot
 *     (default 60 s)
 */
public record BreakerConfig(
    WindowType windowType,
    int windowSize,
    int minimumCalls,
    float failureRateThreshold,
    float slowCallRateThreshold,
    Duration slowCallDuration,
    Duration waitInOpen,
    int permittedProbes,
    Duration probeLease) {
  /** Sliding window kinds. */
  public enum WindowType {
    /** The last N calls. */
    COUNT,
    /** The calls of the last N seconds. */
    TIME
  }

  /** A count window. */
  public static final WindowType DEFAULT_WINDOW_TYPE = WindowType.COUNT;
  /** 100 calls. */
  public static final int DEFAULT_COUNT_WINDOW_SIZE = 100;
  /** 60 seconds, for a time window. */
  public static final int DEFAULT_TIME_WINDOW_SECONDS = 60;
  /** 20 calls before the rates count. */
  public static final int DEFAULT_MINIMUM_CALLS = 20;
  /** 50 percent failures. */
  public static final float DEFAULT_FAILURE_RATE_THRESHOLD = 50;
  /** 100 percent slow calls. */
  public static final float DEFAULT_SLOW_CALL_RATE_THRESHOLD = 100;
  /** 60 s. */
  public static final Duration DEFAULT_SLOW_CALL_DURATION = Duration.ofSeconds(60);
  /** 30 s. */
  public static final Duration DEFAULT_WAIT_IN_OPEN = Duration.ofSeconds(30);
  /** 3 probes. */
  public static final int DEFAULT_PERMITTED_PROBES = 3;
  /** 60 s. */
  public static final Duration DEFAULT_PROBE_LEASE = Duration.ofSeconds(60);

  /** Every setting at its default. */
  public static final BreakerConfig DEFAULT = builder().build();

  /**
   * Validates the settings (count window 1..10,000 calls, time window 1..3,600 s, minimum calls
   * 1..100,000, thresholds in (0, 100], wait in open 1 ms..1 day, probes 1..1,000, probe lease
   * 100 ms..1 h).
   *
   * @throws IllegalArgumentException naming the first value out of range
   */
  public BreakerConfig {
    Objects.requireNonNull(windowType, "windowType");
    Objects.requireNonNull(slowCallDuration, "slowCallDuration");
    Objects.requireNonNull(waitInOpen, "waitInOpen");
    Objects.requireNonNull(probeLease, "probeLease");
    int maxSize = windowType == WindowType.COUNT ? 10_000 : 3_600;
    check(windowSize >= 1 && windowSize <= maxSize, "windowSize", "in [1, " + maxSize + "]", windowSize);
    check(minimumCalls >= 1 && minimumCalls <= 100_000, "minimumCalls", "in [1, 100000]", minimumCalls);
    check(failureRateThreshold > 0 && failureRateThreshold <= 100, "failureRateThreshold", "in (0, 100]",
        failureRateThreshold);
    check(slowCallRateThreshold > 0 && slowCallRateThreshold <= 100, "slowCallRateThreshold", "in (0, 100]",
        slowCallRateThreshold);
    check(slowCallDuration.toMillis() >= 1, "slowCallDuration", ">= 1ms", slowCallDuration);
    check(waitInOpen.toMillis() >= 1 && waitInOpen.compareTo(Duration.ofDays(1)) <= 0, "waitInOpen",
        "in [1ms, 1d]", waitInOpen);
    check(permittedProbes >= 1 && permittedProbes <= 1000, "permittedProbes", "in [1, 1000]", permittedProbes);
    check(probeLease.toMillis() >= 100 && probeLease.compareTo(Duration.ofHours(1)) <= 0, "probeLease",
        "in [100ms, 1h]", probeLease);
  }

  private static void check(boolean ok, String name, String rule, Object value) {
    if (!ok) {
      throw new IllegalArgumentException(name + " must be " + rule + ", got " + value);
    }
  }

  /**
   * A builder with every setting at its default.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder; each setter may be called once (a second call throws), {@link #build()} validates. */
  public static final class Builder {
    private WindowType windowType = DEFAULT_WINDOW_TYPE;
    private Integer windowSize;
    private Integer minimumCalls;
    private Float failureRateThreshold;
    private Float slowCallRateThreshold;
    private Duration slowCallDuration;
    private Duration waitInOpen;
    private Integer permittedProbes;
    private Duration probeLease;
    private boolean windowSet;

    private Builder() {}

    /**
     * A count window: the last {@code calls} calls (default: a count window of 100). Excludes
     * {@link #timeWindow}.
     *
     * @param calls 1..10,000
     * @return this builder
     * @throws IllegalArgumentException when a window was set before
     */
    public Builder countWindow(int calls) {
      setWindow(WindowType.COUNT, calls);
      return this;
    }

    /**
     * A time window: the calls of the last {@code seconds} seconds (default: a count window of 100).
     * Excludes {@link #countWindow}.
     *
     * @param seconds 1..3,600
     * @return this builder
     * @throws IllegalArgumentException when a window was set before
     */
    public Builder timeWindow(int seconds) {
      setWindow(WindowType.TIME, seconds);
      return this;
    }

    private void setWindow(WindowType type, int size) {
      if (windowSet) {
        throw new IllegalArgumentException("window set twice");
      }
      windowSet = true;
      windowType = type;
      windowSize = size;
    }

    /**
     * Calls in the window before the rates are evaluated (default 20).
     *
     * @param n 1..100,000
     * @return this builder
     * @throws IllegalArgumentException when set before
     */
    public Builder minimumCalls(int n) {
      minimumCalls = once(minimumCalls, n, "minimumCalls");
      return this;
    }

    /**
     * Percent of failed calls in the window that opens the breaker (default 50).
     *
     * @param percent in (0, 100]
     * @return this builder
     * @throws IllegalArgumentException when set before
     */
    public Builder failureRateThreshold(float percent) {
      failureRateThreshold = once(failureRateThreshold, percent, "failureRateThreshold");
      return this;
    }

    /**
     * Percent of slow calls in the window that opens the breaker (default 100).
     *
     * @param percent in (0, 100]
     * @return this builder
     * @throws IllegalArgumentException when set before
     */
    public Builder slowCallRateThreshold(float percent) {
      slowCallRateThreshold = once(slowCallRateThreshold, percent, "slowCallRateThreshold");
      return this;
    }

    /**
     * A call taking at least this long is slow (default 60 s).
     *
     * @param d at least 1 ms
     * @return this builder
     * @throws IllegalArgumentException when set before
     */
    public Builder slowCallDuration(Duration d) {
      slowCallDuration = once(slowCallDuration, Objects.requireNonNull(d, "slowCallDuration"), "slowCallDuration");
      return this;
    }

    /**
     * How long the breaker stays open before it lets probes through (default 30 s).
     *
     * @param d 1 ms..1 day
     * @return this builder
     * @throws IllegalArgumentException when set before
     */
    public Builder waitInOpen(Duration d) {
      waitInOpen = once(waitInOpen, Objects.requireNonNull(d, "waitInOpen"), "waitInOpen");
      return this;
    }

    /**
     * Probe calls allowed fleet-wide in half-open; this many successes close the breaker (default 3).
     *
     * @param n 1..1,000
     * @return this builder
     * @throws IllegalArgumentException when set before
     */
    public Builder permittedProbes(int n) {
      permittedProbes = once(permittedProbes, n, "permittedProbes");
      return this;
    }

    /**
     * How long a probe may go unrecorded (its worker died) before its slot is freed (default 60 s).
     *
     * @param d 100 ms..1 h
     * @return this builder
     * @throws IllegalArgumentException when set before
     */
    public Builder probeLease(Duration d) {
      probeLease = once(probeLease, Objects.requireNonNull(d, "probeLease"), "probeLease");
      return this;
    }

    private static <T> T once(T current, T value, String name) {
      if (current != null) {
        throw new IllegalArgumentException(name + " set twice");
      }
      return value;
    }

    /**
     * Builds and validates the configuration; unset values take their defaults.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming the first value out of range
     */
    public BreakerConfig build() {
      int size = windowSize != null ? windowSize
          : windowType == WindowType.COUNT ? DEFAULT_COUNT_WINDOW_SIZE : DEFAULT_TIME_WINDOW_SECONDS;
      return new BreakerConfig(windowType, size,
          minimumCalls != null ? minimumCalls : DEFAULT_MINIMUM_CALLS,
          failureRateThreshold != null ? failureRateThreshold : DEFAULT_FAILURE_RATE_THRESHOLD,
          slowCallRateThreshold != null ? slowCallRateThreshold : DEFAULT_SLOW_CALL_RATE_THRESHOLD,
          slowCallDuration != null ? slowCallDuration : DEFAULT_SLOW_CALL_DURATION,
          waitInOpen != null ? waitInOpen : DEFAULT_WAIT_IN_OPEN,
          permittedProbes != null ? permittedProbes : DEFAULT_PERMITTED_PROBES,
          probeLease != null ? probeLease : DEFAULT_PROBE_LEASE);
    }
  }
}
