package dev.baton.testing;

import dev.baton.testkit.RedisServer;
import org.junit.jupiter.api.Assumptions;

/**
 * A private redis-server that needs credentials, for the tests of refused logins and permissions:
 * the default user's password is {@code s3cret-admin}, and the ACL user {@code limited} (password
 * {@code limited-pw}) may run every command but only on keys matching {@code other:*}. Skips the
 * test without redis-server on the machine, unless {@code CI=true}.
 */
public final class AuthRedis {
  private AuthRedis() {}

  /** Starts the server; the caller closes it. */
  public static RedisServer start() {
    Assumptions.assumeTrue(RedisServer.binary() != null || "true".equalsIgnoreCase(System.getenv("CI")),
        "redis-server is not installed");
    return RedisServer.builder().config("requirepass", "s3cret-admin")
        .config("user", "limited", "on", ">limited-pw", "~other:*", "&*", "+@all").start();
  }
}
