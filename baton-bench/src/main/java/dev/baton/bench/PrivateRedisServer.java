package dev.baton.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A {@code redis-server} owned by one benchmark or demo run: a free loopback port, a temporary directory,
 * no persistence ({@code --save "" --appendonly no}), so disk writes never enter benchmark figures.
 * {@link #close()} stops it and deletes the directory; it is safe to call twice and from a
 * shutdown hook.
 */
public final class PrivateRedisServer implements AutoCloseable {
  private static final long START_TIMEOUT_MILLIS = 10_000;

  private final Process process;
  private final int port;
  private final Path dir;
  private final ReentrantLock lock = new ReentrantLock();
  private boolean stopped;

  private PrivateRedisServer(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  /** Where to look for {@code redis-server}: every PATH entry, then /usr/sbin and /usr/bin. */
  public static List<Path> defaultSearchPath() {
    Set<Path> dirs = new LinkedHashSet<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        if (!d.isBlank()) {
          dirs.add(Path.of(d));
        }
      }
    }
    dirs.add(Path.of("/usr/sbin"));
    dirs.add(Path.of("/usr/bin"));
    return List.copyOf(dirs);
  }

  /** The first executable {@code redis-server} in {@code dirs}, or null. */
  public static Path findBinary(List<Path> dirs) {
    for (Path d : dirs) {
      Path f = d.resolve("redis-server");
      if (Files.isRegularFile(f) && Files.isExecutable(f)) {
        return f;
      }
    }
    return null;
  }

  /** Starts {@code binary} on a free loopback port and waits until it answers PING. */
  public static PrivateRedisServer start(Path binary) throws IOException {
    IOException last = null;
    for (int tryNo = 0; tryNo < 3; tryNo++) { // another process may take the free port first
      Path dir = Files.createTempDirectory("baton-redis-");
      int port = freePort();
      Process p = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
          "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no",
          "--logfile", "", "--maxmemory-policy", "noeviction")
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("redis.log").toFile())
          .start();
      PrivateRedisServer redis = new PrivateRedisServer(p, port, dir);
      try {
        redis.awaitReady();
        return redis;
      } catch (IOException e) {
        redis.close();
        last = e;
      }
    }
    throw last;
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("redis-server exited at start: " + log().strip());
      }
      if (ping()) {
        return;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting redis-server", e);
      }
    }
    throw new IOException("redis-server did not answer PING on port " + port + " within " + START_TIMEOUT_MILLIS + "ms");
  }

  private boolean ping() {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(500);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] buf = new byte[16];
      int n = s.getInputStream().read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  boolean isRunning() {
    return process.isAlive();
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and deletes its directory. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (stopped) {
        return;
      }
      stopped = true;
      process.destroy();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: best effort
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
