package dev.baton.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process on a free loopback port, owned by a test. It can be killed
 * with SIGKILL and restarted on the same port (with its AOF, when persistence is on).
 *
 * <p>Test classes may run at once (see the failsafe configuration): no two servers of this JVM are
 * given the same port, also while one is down between a kill and its restart, and a server counts
 * as started only when the process answering on its port is its own.
 */
public final class RedisServer implements AutoCloseable {
  /** Every port handed out in this JVM, never handed out again. */
  private static final java.util.Set<Integer> PORTS_USED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final int port;
  private final Path dir;
  private final boolean appendOnly;
  private Process process;

  private RedisServer(int port, Path dir, boolean appendOnly) {
    this.port = port;
    this.dir = dir;
    this.appendOnly = appendOnly;
  }

  /** Starts a server without persistence. */
  public static RedisServer start() {
    return start(false);
  }

  /**
   * Starts a server; with {@code appendOnly}, an AOF with {@code appendfsync always}. A port another
   * process took between the look for a free one and the start is given up for another, twice at most.
   */
  public static RedisServer start(boolean appendOnly) {
    for (int attempt = 1; ; attempt++) {
      RedisServer s = null;
      try {
        s = new RedisServer(freePort(), Files.createTempDirectory("baton-redis-"), appendOnly);
        s.launch();
        return s;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (IllegalStateException e) {
        if (s != null) {
          s.close();
        }
        if (attempt >= 3) {
          throw e;
        }
      }
    }
  }

  /** The {@code redis-server} binary, or null when it is not installed. */
  public static String binary() {
    String env = System.getenv("REDIS_SERVER");
    if (env != null && new File(env).canExecute()) {
      return env;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      File f = new File(dir, "redis-server");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    File sbin = new File("/usr/sbin/redis-server");
    return sbin.canExecute() ? sbin.getPath() : null;
  }

  private void launch() throws IOException {
    String bin = binary();
    if (bin == null) {
      throw new IllegalStateException("redis-server is not installed (apt-get install redis-server)");
    }
    List<String> cmd = new ArrayList<>(List.of(bin, "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--dir", dir.toString(), "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString(),
        "--maxmemory-policy", "noeviction"));
    if (appendOnly) {
      cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
    } else {
      cmd.addAll(List.of("--appendonly", "no"));
    }
    process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server exited at start: " + Files.readString(dir.resolve("stdout.log")));
      }
      if (ping()) {
        long pid = answeringPid();
        if (pid == process.pid()) {
          return;
        }
        if (pid > 0) {
          throw new IllegalStateException("process " + pid + ", not this redis-server (pid " + process.pid()
              + "), answers on port " + port);
        }
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("redis-server did not answer PING on port " + port);
  }

  private boolean ping() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(500);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] buf = new byte[7];
      int n = s.getInputStream().read(buf);
      return n > 0 && new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  /** The process id of the server answering on the port (INFO server), or -1. */
  private long answeringPid() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(2000);
      s.getOutputStream().write("INFO server\r\n".getBytes(StandardCharsets.US_ASCII));
      java.io.BufferedReader in = new java.io.BufferedReader(
          new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("process_id:")) {
          return Long.parseLong(line.substring("process_id:".length()).trim());
        }
      }
      return -1;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  public int port() {
    return port;
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: no shutdown, no save. */
  public void kill() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts the server again on the same port and directory. */
  public void restart() {
    kill();
    try {
      launch();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts another server on a copy of this one's data directory, for instance to read the state a
   * crash left while this one stays down. Only meaningful with persistence on; the caller closes it.
   */
  public RedisServer startCopy() {
    try {
      Path copy = Files.createTempDirectory("baton-redis-copy-");
      try (var files = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Path target = copy.resolve(dir.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else if (!p.getFileName().toString().endsWith(".log")) {
            Files.copy(p, target);
          }
        }
      }
      RedisServer s = new RedisServer(freePort(), copy, appendOnly);
      s.launch();
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    kill();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // temp dir: best effort
    }
  }

  private static int freePort() throws IOException {
    while (true) {
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        s.setReuseAddress(true);
        if (PORTS_USED.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      }
    }
  }
}
