package dev.baton.chaos;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy against a loopback echo server: it forwards, freezes without losing bytes, and cuts. */
class ChaosProxyTest {
  private ServerSocket echo;
  private ChaosProxy proxy;

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
    proxy = new ChaosProxy(echo.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  @Test
  void forwardsBothWays() throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      s.setSoTimeout(2000);
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
    }
  }

  @Test
  void aFreezeHoldsBytesUntilTheThaw() throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      s.setSoTimeout(300);
      assertThat(roundTrip(s, "one")).isEqualTo("one");
      proxy.freeze();
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
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      s.setSoTimeout(300);
      s.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
      assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
      proxy.thaw();
      s.setSoTimeout(2000);
      assertThat(s.getInputStream().read()).isEqualTo('x');
    }
  }

  @Test
  void aCutResetsEveryConnection() throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      s.setSoTimeout(2000);
      assertThat(roundTrip(s, "ok")).isEqualTo("ok");
      proxy.cutAll();
      int r;
      try {
        r = s.getInputStream().read();
      } catch (IOException e) {
        r = -2; // connection reset
      }
      assertThat(r).isIn(-1, -2);
    }
    try (Socket again = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      again.setSoTimeout(2000);
      assertThat(roundTrip(again, "back")).as("new connections work after a cut").isEqualTo("back");
    }
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.US_ASCII);
    s.getOutputStream().write(b);
    return new String(s.getInputStream().readNBytes(b.length), StandardCharsets.US_ASCII);
  }
}
