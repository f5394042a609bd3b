package dev.baton.resilience;

import java.time.Duration;
import java.util.Objects;

/**
 * How one dependency's circuit breaker decides, with resilience4j's semantics and defaults. Build
 * with {@link #builder()}; every setter validates and may be called once.
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
    COUNT,
    TIME
  }

  public static final WindowType DEFAULT_WINDOW_TYPE = WindowType.COUNT;
  public static final int DEFAULT_COUNT_WINDOW_SIZE = 100;
  public static final int DEFAULT_TIME_WINDOW_SECONDS = 60;
  public static final int DEFAULT_MINIMUM_CALLS = 20;
  public static final float DEFAULT_FAILURE_RATE_THRESHOLD = 50;
  public static final float DEFAULT_SLOW_CALL_RATE_THRESHOLD = 100;
  public static final Duration DEFAULT_SLOW_CALL_DURATION = Duration.ofSeconds(60);
  public static final Duration DEFAULT_WAIT_IN_OPEN = Duration.ofSeconds(30);
  public static final int DEFAULT_PERMITTED_PROBES = 3;
  public static final Duration DEFAULT_PROBE_LEASE = Duration.ofSeconds(60);

  public static final BreakerConfig DEFAULT = builder().build();

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

  public static Builder builder() {
    return new Builder();
  }

  /** Validating builder; each setter may be called once. */
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

    /** The last {@code calls} calls (default: a count window of 100). */
    public Builder countWindow(int calls) {
      setWindow(WindowType.COUNT, calls);
      return this;
    }

    /** The calls of the last {@code seconds} seconds. */
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

    public Builder minimumCalls(int n) {
      minimumCalls = once(minimumCalls, n, "minimumCalls");
      return this;
    }

    public Builder failureRateThreshold(float percent) {
      failureRateThreshold = once(failureRateThreshold, percent, "failureRateThreshold");
      return this;
    }

    public Builder slowCallRateThreshold(float percent) {
      slowCallRateThreshold = once(slowCallRateThreshold, percent, "slowCallRateThreshold");
      return this;
    }

    public Builder slowCallDuration(Duration d) {
      slowCallDuration = once(slowCallDuration, Objects.requireNonNull(d, "slowCallDuration"), "slowCallDuration");
      return this;
    }

    public Builder waitInOpen(Duration d) {
      waitInOpen = once(waitInOpen, Objects.requireNonNull(d, "waitInOpen"), "waitInOpen");
      return this;
    }

    public Builder permittedProbes(int n) {
      permittedProbes = once(permittedProbes, n, "permittedProbes");
      return this;
    }

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

    /** @throws IllegalArgumentException naming the first value out of range */
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
