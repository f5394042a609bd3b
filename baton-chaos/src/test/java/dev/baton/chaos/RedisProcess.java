package dev.baton.chaos;

import dev.baton.testing.RedisServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private {@code redis-server} with an AOF and a chosen {@code appendfsync} policy ({@code
 * always} or {@code everysec}), on a fixed loopback port, that the chaos runner kills with SIGKILL
 * and restarts from its AOF. (baton-core's {@link RedisServer} only knows {@code always}.)
 */
final class RedisProcess implements AutoCloseable {
  private final int port;
  private final Path dir;
  private final String fsync;
  private Process process;

  RedisProcess(Path dir, String fsync) throws IOException {
    this.port = freePort();
    this.dir = dir;
    this.fsync = fsync;
    Files.createDirectories(dir);
    start();
  }

  int port() {
    return port;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the server and waits until it answers PING (after loading its AOF). */
  void start() {
    String bin = RedisServer.binary();
    if (bin == null) {
      throw new IllegalStateException("redis-server is not installed (apt-get install redis-server)");
    }
    List<String> cmd = List.of(bin, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
        "--dir", dir.toString(), "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString(),
        "--maxmemory-policy", "noeviction", "--appendonly", "yes", "--appendfsync", fsync);
    try {
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile())).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          throw new IllegalStateException("redis-server exited at start; see " + dir.resolve("redis.log"));
        }
        if (ping()) {
          return;
        }
        Thread.sleep(10);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    throw new IllegalStateException("redis-server did not answer PING on port " + port);
  }

  /** SIGKILL: no shutdown, no final fsync. */
  void kill() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  boolean isRunning() {
    return process != null && process.isAlive();
  }

  private boolean ping() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(1000);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] buf = new byte[64];
      int n = s.getInputStream().read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    kill();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }
}
