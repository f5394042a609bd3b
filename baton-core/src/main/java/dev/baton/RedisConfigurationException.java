package dev.baton;

/**
 * Redis answered, but refused Baton's credentials or permissions: a configuration error on the
 * Baton or the Redis side, which retrying cannot fix. Thrown when connecting and by any call that
 * meets one of these Redis errors:
 *
 * <ul>
 *   <li>{@code WRONGPASS}: the user name or password in the Redis URI is wrong, or the user is
 *       disabled;
 *   <li>{@code NOAUTH}: Redis requires a password and the Redis URI gives none;
 *   <li>{@code NOPERM}: the ACL user may not run a command Baton needs (Baton runs Lua scripts with
 *       {@code EVALSHA}/{@code EVAL} and stream, hash, sorted-set and Pub/Sub commands) or touch its
 *       keys (everything under the key prefix);
 *   <li>{@code DB_INDEX} (when connecting): Redis refused the database number of the Redis URI
 *       ({@code ERR DB index is out of range}: the server has fewer databases);
 *   <li>{@code TLS} (when connecting): the TLS handshake failed (certificate not trusted or not
 *       naming the host, or {@code rediss://} to a server without TLS).
 * </ul>
 *
 * <p>Unlike {@link RedisUnavailableException}, Redis is reachable; fix the Redis URI (user and
 * password: {@code redis://user:password@host:port}) or the user's ACL. The message names the Redis
 * error and never contains the password. Immutable.
 */
public final class RedisConfigurationException extends BatonException {
  private static final long serialVersionUID = 1L;

  /** The Redis error code. */
  private final String redisError;

  /**
   * An exception for a refusal Redis answered with {@code redisError}.
   *
   * @param redisError the Redis error code: {@code WRONGPASS}, {@code NOAUTH}, {@code NOPERM}, {@code
   *     DB_INDEX} or {@code TLS}
   * @param message what was refused and what to check
   * @param cause the Redis client's exception
   */
  public RedisConfigurationException(String redisError, String message, Throwable cause) {
    super(message, cause);
    this.redisError = redisError;
  }

  /**
   * The Redis error code that refused Baton.
   *
   * @return {@code WRONGPASS}, {@code NOAUTH}, {@code NOPERM}, {@code DB_INDEX} or {@code TLS}
   */
  public String redisError() {
    return redisError;
  }
}
