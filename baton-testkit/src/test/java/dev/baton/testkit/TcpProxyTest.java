package dev.baton.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy against a loopback echo server: it forwards, freezes without losing bytes, resets or
 * closes connections, refuses new ones, and swallows or holds back a reply.
 */
class TcpProxyTest {
  private ServerSocket echo;
  private TcpProxy proxy;

  @BeforeEach
  void start() throws IOException {
    echo = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread.ofVirtual().start(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              in.transferTo(out);
            } catch (IOException e) {
              // client went away
            }
          });
        } catch (IOException e) {
          return;
        }
      }
    });
    proxy = new TcpProxy(echo.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  @Test
  void forwardsBothWaysAndCountsConnections() throws IOException {
    try (Socket s = connect(2000)) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
    }
    assertThat(proxy.connections()).isEqualTo(1);
    assertThat(proxy.uri()).isEqualTo("redis://127.0.0.1:" + proxy.port());
  }

  @Test
  void aFreezeHoldsBytesUntilTheThaw() throws IOException {
    try (Socket s = connect(300)) {
      assertThat(roundTrip(s, "one")).isEqualTo("one");
      proxy.freeze();
      assertThat(proxy.isFrozen()).isTrue();
      s.getOutputStream().write("two".getBytes(StandardCharsets.US_ASCII));
      assertThatThrownBy(() -> s.getInputStream().read(new byte[3])).isInstanceOf(SocketTimeoutException.class);
      proxy.thaw();
      s.setSoTimeout(2000);
      assertThat(new String(s.getInputStream().readNBytes(3), StandardCharsets.US_ASCII)).isEqualTo("two");
    }
  }

  @Test
  void aConnectionOpenedDuringAFreezeWaitsForTheThaw() throws IOException {
    proxy.freeze();
    try (Socket s = connect(300)) {
      s.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
      proxy.thaw();
      s.setSoTimeout(2000);
      assertThat(s.getInputStream().read()).isEqualTo('x');
    }
  }

  @Test
  void aCutResetsEveryConnectionAndNewOnesWork() throws Exception {
    try (Socket s = connect(2000)) {
      assertThat(roundTrip(s, "ok")).isEqualTo("ok");
      proxy.cutAll();
      assertThat(readOrReset(s)).as("reset").isEqualTo(-2);
    }
    try (Socket again = connect(2000)) {
      assertThat(roundTrip(again, "back")).as("new connections work after a cut").isEqualTo("back");
    }
  }

  @Test
  void closeAllEndsEveryConnectionInOrder() throws Exception {
    try (Socket s = connect(2000); Socket t = connect(2000)) {
      assertThat(roundTrip(s, "s")).isEqualTo("s");
      assertThat(roundTrip(t, "t")).isEqualTo("t");
      proxy.closeAll();
      assertThat(readOrReset(s)).as("end of stream").isEqualTo(-1);
      assertThat(readOrReset(t)).as("end of stream").isEqualTo(-1);
    }
    try (Socket again = connect(2000)) {
      assertThat(roundTrip(again, "back")).isEqualTo("back");
    }
  }

  @Test
  void refusingResetsNewConnectionsOnlyUntilAcceptNew() throws Exception {
    try (Socket open = connect(2000)) {
      assertThat(roundTrip(open, "a")).isEqualTo("a");
      proxy.refuseNew();
      try (Socket refused = connect(2000)) {
        assertThat(readOrReset(refused)).isEqualTo(-2);
      }
      assertThat(roundTrip(open, "b")).as("open connections stay").isEqualTo("b");
      proxy.acceptNew();
      try (Socket again = connect(2000)) {
        assertThat(roundTrip(again, "c")).isEqualTo("c");
      }
    }
  }

  @Test
  void whileTheServerIsDownANewConnectionIsResetAtOnce() throws Exception {
    int down;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      down = closed.getLocalPort();
    }
    try (TcpProxy toNothing = new TcpProxy(down);
        Socket s = new Socket(InetAddress.getLoopbackAddress(), toNothing.port())) {
      s.setSoTimeout(2000);
      assertThat(readOrReset(s)).isEqualTo(-2);
    }
  }

  @Test
  void swallowsTheNextReplyAndCuts() throws Exception {
    try (Socket s = connect(2000)) {
      assertThat(roundTrip(s, "before")).isEqualTo("before");
      proxy.swallowNextReplyAndCut();
      s.getOutputStream().write("lost".getBytes(StandardCharsets.US_ASCII));
      assertThat(readOrReset(s)).as("the reply never comes; the connection ends in order").isEqualTo(-1);
    }
    try (Socket again = connect(2000)) {
      assertThat(roundTrip(again, "after")).as("armed once").isEqualTo("after");
    }
  }

  @Test
  void swallowsOnlyTheReplyContainingTheMarker() throws Exception {
    proxy.swallowNextReplyContainingAndCut("task-7");
    try (Socket s = connect(2000)) {
      assertThat(roundTrip(s, "task-6")).isEqualTo("task-6");
      s.getOutputStream().write("task-7".getBytes(StandardCharsets.US_ASCII));
      assertThat(readOrReset(s)).isEqualTo(-1);
    }
    try (Socket again = connect(2000)) {
      assertThat(roundTrip(again, "task-7")).as("armed once").isEqualTo("task-7");
    }
  }

  @Test
  void holdsBackTheReplyContainingTheMarker() throws Exception {
    proxy.delayNextReplyContaining("slow", Duration.ofMillis(500));
    try (Socket s = connect(5000)) {
      long t0 = System.nanoTime();
      assertThat(roundTrip(s, "fast")).isEqualTo("fast");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(400));
      t0 = System.nanoTime();
      assertThat(roundTrip(s, "slow")).isEqualTo("slow");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(450));
    }
  }

  private Socket connect(int readTimeoutMillis) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    s.setSoTimeout(readTimeoutMillis);
    return s;
  }

  /** -1 at a clean end of stream, -2 on a reset, -3 when nothing came within the read timeout. */
  private static int readOrReset(Socket s) {
    try {
      return s.getInputStream().read();
    } catch (SocketTimeoutException e) {
      return -3;
    } catch (IOException e) {
      return -2;
    }
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    s.getOutputStream().write(b);
    return new String(s.getInputStream().readNBytes(b.length), StandardCharsets.US_ASCII);
  }
}
