package dev.baton;

import java.time.Duration;
import java.util.Objects;

/**
 * Connection and storage settings shared by every component of one {@link BatonClient}. Immutable;
 * build with {@link #builder()}.
 *
 * @param redisUri {@code redis://} or {@code rediss://} URL
 * @param keyPrefix first segment of every key (default {@value #DEFAULT_KEY_PREFIX})
 * @param maxPayloadBytes largest accepted payload in UTF-8 bytes (default 1 MiB)
 * @param retention how long finished task records are kept (default 7 days)
 * @param deadLetterCap dead letters kept per agent type; beyond it the oldest are purged (default 10,000)
 * @param commandTimeout how long one Redis command may take before it fails (default 10 s)
 */
public record BatonConfig(
    String redisUri,
    String keyPrefix,
    int maxPayloadBytes,
    Duration retention,
    int deadLetterCap,
    Duration commandTimeout) {

  public static final String DEFAULT_REDIS_URI = "redis://127.0.0.1:6379";
  public static final String DEFAULT_KEY_PREFIX = "baton";
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
  public static final int DEFAULT_DEAD_LETTER_CAP = 10_000;
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);

  public BatonConfig {
    Objects.requireNonNull(redisUri, "redisUri");
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    if (!redisUri.startsWith("redis://") && !redisUri.startsWith("rediss://")) {
      throw new IllegalArgumentException("redisUri must start with redis:// or rediss://, got '" + redisUri + "'");
    }
    if (!keyPrefix.matches("[A-Za-z0-9._:-]{1,64}")) {
      throw new IllegalArgumentException("keyPrefix must be 1-64 of [A-Za-z0-9._:-], got '" + keyPrefix + "'");
    }
    if (maxPayloadBytes < 1 || maxPayloadBytes > 256 * 1024 * 1024) {
      throw new IllegalArgumentException("maxPayloadBytes must be in [1, 256 MiB], got " + maxPayloadBytes);
    }
    if (retention.toMillis() < 1000) {
      throw new IllegalArgumentException("retention must be at least 1s, got " + retention);
    }
    if (deadLetterCap < 1) {
      throw new IllegalArgumentException("deadLetterCap must be positive, got " + deadLetterCap);
    }
    if (commandTimeout.toMillis() < 100) {
      throw new IllegalArgumentException("commandTimeout must be at least 100ms, got " + commandTimeout);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Validating builder; every setter maps to one CLI flag or environment variable. */
  public static final class Builder {
    private String redisUri = DEFAULT_REDIS_URI;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
    private Duration retention = DEFAULT_RETENTION;
    private int deadLetterCap = DEFAULT_DEAD_LETTER_CAP;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;

    private Builder() {}

    public Builder redisUri(String redisUri) {
      this.redisUri = redisUri;
      return this;
    }

    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
      return this;
    }

    public Builder maxPayloadBytes(int maxPayloadBytes) {
      this.maxPayloadBytes = maxPayloadBytes;
      return this;
    }

    public Builder retention(Duration retention) {
      this.retention = retention;
      return this;
    }

    public Builder deadLetterCap(int deadLetterCap) {
      this.deadLetterCap = deadLetterCap;
      return this;
    }

    public Builder commandTimeout(Duration commandTimeout) {
      this.commandTimeout = commandTimeout;
      return this;
    }

    public BatonConfig build() {
      return new BatonConfig(redisUri, keyPrefix, maxPayloadBytes, retention, deadLetterCap, commandTimeout);
    }
  }
}
