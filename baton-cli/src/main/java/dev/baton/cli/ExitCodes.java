package dev.baton.cli;

/** The exit codes of every {@code baton} command; docs/cli.md lists them too. */
public final class ExitCodes {
  public static final int OK = 0;
  /** An unexpected failure, or an operation Baton refused (a task that cannot be cancelled). */
  public static final int SOFTWARE = 1;
  /** Bad options or arguments, an invalid payload or task option. */
  public static final int USAGE = 2;
  /** Redis could not be reached or did not answer in time. */
  public static final int REDIS_UNREACHABLE = 3;
  /** No such task, or not in the dead-letter queue named. */
  public static final int NOT_FOUND = 4;
  /**
   * Redis answered but refused the configuration: the credentials or permissions (WRONGPASS, NOAUTH,
   * NOPERM), the database number of the URL (ERR DB index is out of range), or the TLS handshake
   * failed. Fix the Redis URL (user, password, database, redis:// or rediss://), the ACL user's rights
   * or the certificates; retrying cannot help.
   */
  public static final int REDIS_CONFIGURATION = 5;

  private ExitCodes() {}
}
