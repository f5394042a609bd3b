package dev.baton;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One task to enqueue. Build with {@link #builder(String)}; the agent type is the queue.
 *
 * <p>Validation of names and options happens in the builder; the payload is checked against the
 * client's size limit and for well-formed JSON at enqueue.
 */
public final class TaskRequest {
  /** Agent types: a letter or digit, then letters, digits, '.', '_' or '-'; at most 64. */
  public static final Pattern AGENT_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** Caller-supplied ids and dedup keys: 1-128 of letters, digits, '.', '_', ':', '-'. */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final int MAX_MAX_ATTEMPTS = 1000;
  public static final Duration MAX_DELAY = Duration.ofDays(365);
  public static final Duration MAX_TIMEOUT = Duration.ofDays(30);

  private final String agentType;
  private final String payloadJson;
  private final String id;
  private final int maxAttempts;
  private final Duration timeout;
  private final Duration delay;
  private final Instant runAt;
  private final String dedupKey;
  private final Map<String, String> headers;
  private final RetryPolicy retryPolicy;
  private final Duration maxWait;

  private TaskRequest(Builder b) {
    this.agentType = b.agentType;
    this.payloadJson = b.payloadJson;
    this.id = b.id;
    this.maxAttempts = b.maxAttempts;
    this.timeout = b.timeout;
    this.delay = b.delay;
    this.runAt = b.runAt;
    this.dedupKey = b.dedupKey;
    this.headers = Map.copyOf(b.headers);
    this.retryPolicy = b.retryPolicy;
    this.maxWait = b.maxWait;
  }

  /** @throws InvalidTaskException when {@code agentType} does not match {@link #AGENT_TYPE} */
  public static Builder builder(String agentType) {
    return new Builder(agentType);
  }

  public String agentType() {
    return agentType;
  }

  public String payloadJson() {
    return payloadJson;
  }

  /** The caller's id, or null to let the dispatcher assign a UUIDv7. */
  public String id() {
    return id;
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  /** Null: the handler's default timeout. */
  public Duration timeout() {
    return timeout;
  }

  /** Null: run now (unless {@link #runAt()} is set). */
  public Duration delay() {
    return delay;
  }

  public Instant runAt() {
    return runAt;
  }

  public String dedupKey() {
    return dedupKey;
  }

  public Map<String, String> headers() {
    return headers;
  }

  /** Null: the handler's retry policy. */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /** Null: no limit on how long the task may wait (parked) for its dependencies. */
  public Duration maxWait() {
    return maxWait;
  }

  /** Validating builder. Each setter may be called once. */
  public static final class Builder {
    private final String agentType;
    private String payloadJson = "{}";
    private boolean payloadSet;
    private String id;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration timeout;
    private Duration delay;
    private Instant runAt;
    private String dedupKey;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private RetryPolicy retryPolicy;
    private Duration maxWait;

    private Builder(String agentType) {
      if (agentType == null || !AGENT_TYPE.matcher(agentType).matches()) {
        throw new InvalidTaskException(
            "agentType", "must match " + AGENT_TYPE.pattern() + ", got " + quote(agentType));
      }
      this.agentType = agentType;
    }

    /** JSON text; checked for well-formedness and size at enqueue. Default {@code {}}. */
    public Builder payloadJson(String json) {
      if (payloadSet) {
        throw new InvalidTaskException("payload", "set twice");
      }
      this.payloadJson = Objects.requireNonNull(json, "json");
      this.payloadSet = true;
      return this;
    }

    /** Encodes {@code value} with {@code codec} as the payload. */
    public Builder payload(Object value, JsonCodec codec) {
      return payloadJson(codec.encode(value));
    }

    public Builder id(String id) {
      if (id == null || !ID.matcher(id).matches()) {
        throw new InvalidTaskException("id", "must match " + ID.pattern() + ", got " + quote(id));
      }
      this.id = id;
      return this;
    }

    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1 || maxAttempts > MAX_MAX_ATTEMPTS) {
        throw new InvalidTaskException("maxAttempts", "must be in [1, " + MAX_MAX_ATTEMPTS + "], got " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    public Builder timeout(Duration timeout) {
      if (timeout == null || timeout.toMillis() < 1 || timeout.compareTo(MAX_TIMEOUT) > 0) {
        throw new InvalidTaskException("timeout", "must be in [1ms, 30d], got " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    public Builder delay(Duration delay) {
      if (runAt != null) {
        throw new InvalidTaskException("delay", "conflicts with runAt; set one");
      }
      if (delay == null || delay.isNegative() || delay.compareTo(MAX_DELAY) > 0) {
        throw new InvalidTaskException("delay", "must be in [0, 365d], got " + delay);
      }
      this.delay = delay;
      return this;
    }

    public Builder runAt(Instant runAt) {
      if (delay != null) {
        throw new InvalidTaskException("runAt", "conflicts with delay; set one");
      }
      this.runAt = Objects.requireNonNull(runAt, "runAt");
      return this;
    }

    /**
     * While a task holding this key is within its dedup window (the retention period, plus any
     * delay), enqueuing another task with the same key returns the holder instead.
     */
    public Builder dedupKey(String dedupKey) {
      if (dedupKey == null || !ID.matcher(dedupKey).matches()) {
        throw new InvalidTaskException("dedupKey", "must match " + ID.pattern() + ", got " + quote(dedupKey));
      }
      this.dedupKey = dedupKey;
      return this;
    }

    public Builder header(String name, String value) {
      if (name == null || name.isEmpty() || name.length() > 256 || value == null || value.length() > 8192) {
        throw new InvalidTaskException("headers", "names are 1-256 chars, values at most 8192, got " + quote(name));
      }
      headers.put(name, value);
      return this;
    }

    public Builder headers(Map<String, String> values) {
      values.forEach(this::header);
      return this;
    }

    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /**
     * The task's deadline for waiting on its dependencies, counted from enqueue: a task still
     * parked (its dependency's breaker open, or rate-limited) this long after it was enqueued is
     * dead-lettered with the reason instead of waiting on. Default: no limit.
     */
    public Builder maxWait(Duration maxWait) {
      if (this.maxWait != null) {
        throw new InvalidTaskException("maxWait", "set twice");
      }
      if (maxWait == null || maxWait.toMillis() < 1 || maxWait.compareTo(MAX_DELAY) > 0) {
        throw new InvalidTaskException("maxWait", "must be in [1ms, 365d], got " + maxWait);
      }
      this.maxWait = maxWait;
      return this;
    }

    public TaskRequest build() {
      return new TaskRequest(this);
    }

    private static String quote(String s) {
      if (s == null) {
        return "null";
      }
      String shown = s.length() > 80 ? s.substring(0, 80) + "..." : s;
      return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }
  }
}
