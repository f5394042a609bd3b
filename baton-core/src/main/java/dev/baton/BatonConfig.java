package dev.baton;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Connection and storage settings shared by every component of one {@link BatonClient}. Immutable
 * and thread-safe; build with {@link #builder()}. Every process of one deployment (producers,
 * workers, the CLI) should use the same key prefix, retention and payload limit.
 *
 * @param redisUri {@code redis://} or {@code rediss://} URL, with the credentials if Redis needs
 *     them: {@code redis://:password@host:port}, or {@code redis://user:password@host:port} for an
 *     ACL user (default {@value #DEFAULT_REDIS_URI})
 * @param keyPrefix first segment of every key (default {@value #DEFAULT_KEY_PREFIX})
 * @param maxPayloadBytes largest accepted payload in UTF-8 bytes (default 1 MiB)
 * @param retention how long finished task records are kept (default 7 days)
 * @param deadLetterCap dead letters kept per agent type; beyond it the oldest are purged (default 10,000)
 * @param commandTimeout how long one Redis command may take before it fails (default 10 s)
 * @param listeners hear the lifecycle steps made by the client and the workers built on it, in
 *     this order (default none: then no event is built); see {@link LifecycleListener}
 * @param redisCaFile for a {@code rediss://} URI, a PEM file of the certificate authorities to trust
 *     for the server's certificate, instead of the JVM's default trust store (for a Redis whose
 *     certificate a private CA signed); null (the default) for the JVM's default
 */
public record BatonConfig(
    String redisUri,
    String keyPrefix,
    int maxPayloadBytes,
    Duration retention,
    int deadLetterCap,
    Duration commandTimeout,
    List<LifecycleListener> listeners,
    java.nio.file.Path redisCaFile) {

  /** A Redis on this machine's default port. */
  public static final String DEFAULT_REDIS_URI = "redis://127.0.0.1:6379";
  /** The first segment of every key Baton writes. */
  public static final String DEFAULT_KEY_PREFIX = "baton";
  /** 1 MiB. */
  public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
  /** 7 days. */
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
  /** 10,000 dead letters per agent type. */
  public static final int DEFAULT_DEAD_LETTER_CAP = 10_000;
  /** 10 s. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Validates every setting.
   *
   * @throws IllegalArgumentException when a setting is out of range, quoting it
   * @throws NullPointerException when a setting is null
   */
  public BatonConfig {
    Objects.requireNonNull(redisUri, "redisUri");
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(commandTimeout, "commandTimeout");
    listeners = List.copyOf(Objects.requireNonNull(listeners, "listeners"));
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
    if (redisCaFile != null && !redisUri.startsWith("rediss://")) {
      throw new IllegalArgumentException("redisCaFile is for rediss:// (TLS) URIs only, got '" + redisCaFile
          + "' with a redis:// URI");
    }
    if (redisCaFile != null && !java.nio.file.Files.isReadable(redisCaFile)) {
      throw new IllegalArgumentException("redisCaFile is not a readable file: '" + redisCaFile + "'");
    }
    if (commandTimeout.toMillis() < 100) {
      throw new IllegalArgumentException("commandTimeout must be at least 100ms, got " + commandTimeout);
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

  /**
   * Builder; {@link #build()} validates (see {@link BatonConfig}). Every setter maps to one CLI flag
   * or environment variable. Not thread-safe.
   */
  public static final class Builder {
    private String redisUri = DEFAULT_REDIS_URI;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private int maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES;
    private Duration retention = DEFAULT_RETENTION;
    private int deadLetterCap = DEFAULT_DEAD_LETTER_CAP;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private final List<LifecycleListener> listeners = new ArrayList<>();
    private java.nio.file.Path redisCaFile;

    private Builder() {}

    /**
     * For a {@code rediss://} URI: trust the certificate authorities of this PEM file for the server's
     * certificate, instead of the JVM's default trust store (default: none, the JVM's). The server's
     * certificate must still name the host of the URI.
     *
     * @param caFile a readable PEM file of one or more CA certificates
     * @return this builder
     */
    public Builder redisCaFile(java.nio.file.Path caFile) {
      this.redisCaFile = caFile;
      return this;
    }

    /**
     * Where Redis is, with credentials if needed (default {@value #DEFAULT_REDIS_URI}).
     *
     * @param redisUri a {@code redis://} or {@code rediss://} URL
     * @return this builder
     */
    public Builder redisUri(String redisUri) {
      this.redisUri = redisUri;
      return this;
    }

    /**
     * The first segment of every key (default {@value #DEFAULT_KEY_PREFIX}); deployments that share
     * one Redis use different prefixes.
     *
     * @param keyPrefix 1 to 64 of {@code [A-Za-z0-9._:-]}
     * @return this builder
     */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
      return this;
    }

    /**
     * The largest payload, and result, in UTF-8 bytes (default 1 MiB).
     *
     * @param maxPayloadBytes in [1, 256 MiB]
     * @return this builder
     */
    public Builder maxPayloadBytes(int maxPayloadBytes) {
      this.maxPayloadBytes = maxPayloadBytes;
      return this;
    }

    /**
     * How long succeeded and cancelled task records are kept after they finish, and the dedup
     * window (default 7 days).
     *
     * @param retention at least 1 s
     * @return this builder
     */
    public Builder retention(Duration retention) {
      this.retention = retention;
      return this;
    }

    /**
     * Dead letters kept per agent type; running workers purge the oldest beyond it (default 10,000).
     *
     * @param deadLetterCap at least 1
     * @return this builder
     */
    public Builder deadLetterCap(int deadLetterCap) {
      this.deadLetterCap = deadLetterCap;
      return this;
    }

    /**
     * How long one Redis command may take before it fails with {@link RedisUnavailableException}
     * (default 10 s).
     *
     * @param commandTimeout at least 100 ms
     * @return this builder
     */
    public Builder commandTimeout(Duration commandTimeout) {
      this.commandTimeout = commandTimeout;
      return this;
    }

    /**
     * Adds a listener of lifecycle steps (default none). Listeners hear events in the order they
     * were added; with none, the client and its workers build no events at all.
     *
     * @param listener a thread-safe, non-blocking listener
     * @return this builder
     */
    public Builder listener(LifecycleListener listener) {
      this.listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Builds and validates the configuration.
     *
     * @return the configuration
     * @throws IllegalArgumentException when a setting is out of range, quoting it
     */
    public BatonConfig build() {
      return new BatonConfig(redisUri, keyPrefix, maxPayloadBytes, retention, deadLetterCap, commandTimeout, listeners,
          redisCaFile);
    }
  }
}
