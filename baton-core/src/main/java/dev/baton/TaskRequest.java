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
 * <p>Validation of names and options happens in the builder, which throws {@link
 * InvalidTaskException} naming the field; the payload is checked against the client's size limit
 * and for well-formed JSON at enqueue.
 *
 * <p>Immutable and thread-safe; its {@link Builder} is not thread-safe.
 */
public final class TaskRequest {
  /** Agent types: a letter or digit, then letters, digits, '.', '_' or '-'; at most 64. */
  public static final Pattern AGENT_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** Caller-supplied ids and dedup keys: 1-128 of letters, digits, '.', '_', ':', '-'. */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  /**
   * The start of the ids of tombstones (dead records of unreadable stream entries, {@code
   * entry-<streamEntryId>}); a task id may not start with it.
   */
  public static final String RESERVED_ID_PREFIX = "entry-";

  /** Attempts a task gets unless {@link Builder#maxAttempts} says otherwise: 3. */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  /** The largest attempt budget: 1,000. */
  public static final int MAX_MAX_ATTEMPTS = 1000;
  /** The longest delay, and the longest max wait: 365 days. */
  public static final Duration MAX_DELAY = Duration.ofDays(365);
  /** The longest attempt timeout: 30 days. */
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

  /**
   * A builder for a task of {@code agentType}, with payload {@code {}} and every option at its
   * default.
   *
   * @param agentType the agent type (queue) whose workers run the task
   * @return a new builder
   * @throws InvalidTaskException when {@code agentType} does not match {@link #AGENT_TYPE}
   */
  public static Builder builder(String agentType) {
    return new Builder(agentType);
  }

  /**
   * The agent type (queue) whose workers run the task.
   *
   * @return the agent type
   */
  public String agentType() {
    return agentType;
  }

  /**
   * The payload as JSON text (default {@code {}}).
   *
   * @return the payload
   */
  public String payloadJson() {
    return payloadJson;
  }

  /**
   * The caller's id, or null to let the dispatcher assign a UUIDv7.
   *
   * @return the id, or null
   */
  public String id() {
    return id;
  }

  /**
   * The attempt budget (default {@link #DEFAULT_MAX_ATTEMPTS}).
   *
   * @return attempts the task may use
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * The timeout of each attempt; null means the handler's ({@link HandlerOptions#timeout()}).
   *
   * @return the timeout, or null
   */
  public Duration timeout() {
    return timeout;
  }

  /**
   * How long after enqueue the task is due; null means now (unless {@link #runAt()} is set).
   *
   * @return the delay, or null
   */
  public Duration delay() {
    return delay;
  }

  /**
   * When the task is due, compared with the Redis server clock; null unless set.
   *
   * @return the due time, or null
   */
  public Instant runAt() {
    return runAt;
  }

  /**
   * The deduplication key, or null for none.
   *
   * @return the dedup key, or null
   */
  public String dedupKey() {
    return dedupKey;
  }

  /**
   * Headers passed to the handler ({@link TaskContext#headers()}), e.g. {@code traceparent}.
   *
   * @return the headers, unmodifiable, empty by default
   */
  public Map<String, String> headers() {
    return headers;
  }

  /**
   * The backoff between attempts; null means the handler's ({@link HandlerOptions#retryPolicy()}).
   *
   * @return the retry policy, or null
   */
  public RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  /**
   * How long after enqueue the task may still wait, parked, for its dependencies; null means no
   * limit.
   *
   * @return the max wait, or null
   */
  public Duration maxWait() {
    return maxWait;
  }

  /**
   * Validating builder: a bad value throws {@link InvalidTaskException} at once, naming the field
   * and quoting the value. The payload and the max wait may be set once (a second set is
   * rejected), {@code delay} and {@code runAt} exclude each other, and calling another setter again
   * replaces its value ({@link #header} adds or replaces one header). Not thread-safe.
   */
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

    /**
     * The payload as JSON text; checked for well-formedness and size at enqueue. Default {@code {}}.
     *
     * @param json one JSON value
     * @return this builder
     * @throws InvalidTaskException when the payload was set before
     */
    public Builder payloadJson(String json) {
      if (payloadSet) {
        throw new InvalidTaskException("payload", "set twice");
      }
      this.payloadJson = Objects.requireNonNull(json, "json");
      this.payloadSet = true;
      return this;
    }

    /**
     * Encodes {@code value} with {@code codec} as the payload (default {@code {}}).
     *
     * @param value the payload object
     * @param codec the codec that encodes it, usually the client's ({@link BatonClient#codec()})
     * @return this builder
     * @throws InvalidTaskException when the payload was set before
     */
    public Builder payload(Object value, JsonCodec codec) {
      return payloadJson(codec.encode(value));
    }

    /**
     * The task's id (default: a UUIDv7 assigned at enqueue). Enqueue is idempotent on the id: a
     * second enqueue with the same id writes nothing and returns the existing task.
     *
     * @param id the id, matching {@link #ID} and not starting with {@value #RESERVED_ID_PREFIX}
     * @return this builder
     * @throws InvalidTaskException when the id is invalid
     */
    public Builder id(String id) {
      if (id == null || !ID.matcher(id).matches()) {
        throw new InvalidTaskException("id", "must match " + ID.pattern() + ", got " + quote(id));
      }
      if (id.startsWith(RESERVED_ID_PREFIX)) {
        throw new InvalidTaskException("id", "must not start with '" + RESERVED_ID_PREFIX
            + "', which is reserved for the tombstones of unreadable stream entries, got " + quote(id));
      }
      this.id = id;
      return this;
    }

    /**
     * How many attempts the task gets before it is dead-lettered (default {@link
     * #DEFAULT_MAX_ATTEMPTS}, 3).
     *
     * @param maxAttempts the budget, in [1, {@value #MAX_MAX_ATTEMPTS}]
     * @return this builder
     * @throws InvalidTaskException when out of range
     */
    public Builder maxAttempts(int maxAttempts) {
      if (maxAttempts < 1 || maxAttempts > MAX_MAX_ATTEMPTS) {
        throw new InvalidTaskException("maxAttempts", "must be in [1, " + MAX_MAX_ATTEMPTS + "], got " + maxAttempts);
      }
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * The timeout of each attempt (default: the handler's, {@link HandlerOptions#DEFAULT_TIMEOUT}
     * unless configured); an attempt that outlives it is interrupted and fails.
     *
     * @param timeout the timeout, in [1 ms, 30 days]
     * @return this builder
     * @throws InvalidTaskException when out of range
     */
    public Builder timeout(Duration timeout) {
      if (timeout == null || timeout.toMillis() < 1 || timeout.compareTo(MAX_TIMEOUT) > 0) {
        throw new InvalidTaskException("timeout", "must be in [1ms, 30d], got " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Makes the task due {@code delay} after enqueue, on the Redis server clock (default: due at
     * once). Excludes {@link #runAt}.
     *
     * @param delay the delay, in [0, 365 days]
     * @return this builder
     * @throws InvalidTaskException when out of range, or {@code runAt} is set
     */
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

    /**
     * Makes the task due at {@code runAt}, compared with the Redis server clock; a past time means
     * now (default: due at once). Excludes {@link #delay}.
     *
     * @param runAt the due time
     * @return this builder
     * @throws InvalidTaskException when {@code delay} is set
     */
    public Builder runAt(Instant runAt) {
      if (delay != null) {
        throw new InvalidTaskException("runAt", "conflicts with delay; set one");
      }
      this.runAt = Objects.requireNonNull(runAt, "runAt");
      return this;
    }

    /**
     * While a task holding this key is within its dedup window (the retention period, plus any
     * delay), enqueuing another task with the same key returns the holder instead. Default: none.
     *
     * @param dedupKey the key, matching {@link #ID}
     * @return this builder
     * @throws InvalidTaskException when the key is invalid
     */
    public Builder dedupKey(String dedupKey) {
      if (dedupKey == null || !ID.matcher(dedupKey).matches()) {
        throw new InvalidTaskException("dedupKey", "must match " + ID.pattern() + ", got " + quote(dedupKey));
      }
      this.dedupKey = dedupKey;
      return this;
    }

    /**
     * Adds a header, passed to the handler ({@link TaskContext#headers()}); default: none.
     *
     * @param name 1 to 256 characters
     * @param value at most 8,192 characters
     * @return this builder
     * @throws InvalidTaskException when the name or value is out of bounds
     */
    public Builder header(String name, String value) {
      if (name == null || name.isEmpty() || name.length() > 256 || value == null || value.length() > 8192) {
        throw new InvalidTaskException("headers", "names are 1-256 chars, values at most 8192, got " + quote(name));
      }
      headers.put(name, value);
      return this;
    }

    /**
     * Adds every header of {@code values}, as {@link #header} does one by one.
     *
     * @param values header names and values
     * @return this builder
     * @throws InvalidTaskException when a name or value is out of bounds
     */
    public Builder headers(Map<String, String> values) {
      values.forEach(this::header);
      return this;
    }

    /**
     * The backoff between this task's attempts (default: the handler's, {@link
     * HandlerOptions#retryPolicy()}).
     *
     * @param retryPolicy the policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy");
      return this;
    }

    /**
     * The task's deadline for waiting on its dependencies, counted from enqueue: a task still
     * parked (its dependency's breaker open, or rate-limited) this long after it was enqueued is
     * dead-lettered with the reason instead of waiting on. Default: no limit.
     *
     * @param maxWait the limit, in [1 ms, 365 days]
     * @return this builder
     * @throws InvalidTaskException when out of range or set before
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

    /**
     * Builds the request.
     *
     * @return a new, immutable request
     */
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
