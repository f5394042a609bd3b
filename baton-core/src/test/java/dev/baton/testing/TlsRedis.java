package dev.baton.testing;

import dev.baton.testkit.RedisServer;
import org.junit.jupiter.api.Assumptions;

/**
 * A private redis-server that also speaks TLS, with a certificate for {@code localhost} signed by a
 * throwaway CA ({@link RedisServer#caFile()}), for the tests of TLS configuration. Skips the test,
 * saying why, only when this machine cannot run one: no {@code openssl}, or a {@code redis-server}
 * built without TLS.
 */
public final class TlsRedis {
  private TlsRedis() {}

  /** Starts the server; the caller closes it. */
  public static RedisServer start() {
    String unsupported = RedisServer.tlsSupported();
    Assumptions.assumeTrue(unsupported == null, () -> "TLS is unavailable here: " + unsupported);
    return RedisServer.builder().tls().start();
  }
}
