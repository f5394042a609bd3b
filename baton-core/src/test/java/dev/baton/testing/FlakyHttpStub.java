package dev.baton.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A dependency for breaker tests: a loopback HTTP server that can be switched to fail (a status
 * such as 503 or 529), to answer slowly, or to recover. Every call is counted with its arrival time
 * (epoch ms, the same clock as a local Redis server's TIME) and the status it got.
 */
public final class FlakyHttpStub implements AutoCloseable {
  /** One call: when it arrived (epoch ms) and the status it was answered with. */
  public record Call(long atMillis, int status) {}

  private final HttpServer server;
  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private volatile int failStatus;
  private volatile long delayMillis;

  public FlakyHttpStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", exchange -> {
      long at = System.currentTimeMillis();
      int status = failStatus == 0 ? 200 : failStatus;
      calls.add(new Call(at, status));
      long delay = delayMillis;
      if (delay > 0) {
        try {
          Thread.sleep(delay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      byte[] body = (status == 200 ? "ok" : "unavailable").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  /** Answers every call with {@code status} (e.g. 503, 529). */
  public void fail(int status) {
    failStatus = status;
  }

  /** Answers every call after {@code delay}. */
  public void slow(Duration delay) {
    delayMillis = delay.toMillis();
  }

  /** Back to answering 200 at once. */
  public void recover() {
    failStatus = 0;
    delayMillis = 0;
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  /** Calls that arrived in [fromMillis, toMillis). */
  public long callsBetween(long fromMillis, long toMillis) {
    return calls.stream().filter(c -> c.atMillis() >= fromMillis && c.atMillis() < toMillis).count();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
