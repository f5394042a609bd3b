package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** {@code baton bench} is a verb of the CLI and takes {@code --redis} before or after the verb. */
class BenchWiringTest {
  @Test
  void benchIsAVerb() {
    Cli.Result r = Cli.runRaw("bench", "--help");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("--quick", "--scenarios", "--json");
  }

  @Test
  void redisGivenBeforeTheVerbIsUsedRatherThanAPrivateServer() throws IOException {
    String closed = "redis://127.0.0.1:" + closedPort();

    Cli.Result before = Cli.runRaw("--redis", closed, "bench", "--scenarios", "raw");
    Cli.Result after = Cli.runRaw("bench", "--redis", closed, "--scenarios", "raw");

    for (Cli.Result r : new Cli.Result[] {before, after}) {
      assertThat(r.exitCode()).as(r.err()).isEqualTo(3);
      assertThat(r.err()).contains("cannot connect to Redis at " + closed);
    }
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
