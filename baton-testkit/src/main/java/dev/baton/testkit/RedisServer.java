package dev.baton.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * A private {@code redis-server} process on a free port of 127.0.0.1, owned by a test or a tool run.
 * It can be killed with SIGKILL, stopped with SIGTERM and restarted on the same port and data
 * directory, so with an AOF it comes back with what it had written.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.builder().persistence(Persistence.AOF_ALWAYS).start()) {
 *   connect(redis.uri());
 *   redis.kill();
 *   redis.restart(); // same port, same AOF
 * }
 * }</pre>
 *
 * <p>Every server runs with {@code --save ""} (no RDB snapshots) and {@code --maxmemory-policy
 * noeviction}; {@link Builder#config} adds or overrides any other setting. Its log is {@code
 * redis.log} in the data directory. Thread-safe: the life-cycle methods take a lock, and {@link
 * #close()} may run twice, e.g. from a shutdown hook.
 */
public final class RedisServer implements AutoCloseable {
  /** Every port handed out in this JVM, never handed out again. */
  private static final Set<Integer> PORTS_USED = ConcurrentHashMap.newKeySet();

  /** How the server persists writes. */
  public enum Persistence {
    /** Nothing: a restart comes back empty. */
    NONE,
    /** An AOF fsynced once a second ({@code appendfsync everysec}). */
    AOF_EVERYSEC,
    /** An AOF fsynced before every reply ({@code appendfsync always}). */
    AOF_ALWAYS
  }

  /** How long {@link Builder#start()} and {@link #restart()} wait for PING by default. */
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

  /** How long {@link #stop()} waits after SIGTERM before it sends SIGKILL. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private static final int START_ATTEMPTS = 3;

  private final Builder spec;
  private final Path binary;
  private final Path dir;
  private final boolean ownsDir;
  private final ReentrantLock lock = new ReentrantLock();
  private int port;
  private int tlsPort;
  private Process process;
  private boolean closed;

  private RedisServer(Builder spec, Path binary, Path dir, boolean ownsDir) {
    this.spec = spec;
    this.binary = binary;
    this.dir = dir;
    this.ownsDir = ownsDir;
  }

  /** A server without persistence in a new temporary directory, deleted at {@link #close()}. */
  public static RedisServer start() {
    return builder().start();
  }

  /** A server with {@code persistence} in a new temporary directory, deleted at {@link #close()}. */
  public static RedisServer start(Persistence persistence) {
    return builder().persistence(persistence).start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Options of a server; {@link #start()} may be called more than once. */
  public static final class Builder {
    private Persistence persistence = Persistence.NONE;
    private Path dir;
    private Path binary;
    private Duration startTimeout = DEFAULT_START_TIMEOUT;
    private final List<String> config = new ArrayList<>();
    private boolean tls;

    private Builder() {}

    /** Default {@link Persistence#NONE}. */
    public Builder persistence(Persistence persistence) {
      this.persistence = persistence;
      return this;
    }

    /**
     * The data directory (created if missing, kept after {@link #close()}, e.g. for post-mortems).
     * Default: a new temporary directory, deleted at {@link #close()}.
     */
    public Builder dir(Path dir) {
      this.dir = dir;
      return this;
    }

    /** The {@code redis-server} to run. Default: {@link RedisServer#binary()}. */
    public Builder binary(Path binary) {
      this.binary = binary;
      return this;
    }

    /** How long to wait for the first PING reply, AOF loading included. Default 60 s. */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = timeout;
      return this;
    }

    /**
     * A config line, as {@code redis.conf} has it: {@code config("maxmemory", "64mb")}, {@code
     * config("loglevel", "debug")}, {@code config("requirepass", "secret")}, {@code config("user",
     * "app", "on", ">pw", "~app:*", "+@all")}. Lines given later win, so this can override the
     * defaults.
     */
    public Builder config(String name, String... values) {
      config.add("--" + name);
      config.addAll(List.of(values));
      return this;
    }

    /**
     * Also listen for TLS on a second free port ({@link #tlsUri()}), with a throwaway CA and a server
     * certificate for {@code localhost} and {@code 127.0.0.1} that {@code openssl} makes in the
     * server's directory at start ({@link #caFile()}); clients need not present a certificate. The
     * plain port stays open. Needs {@code openssl} and a {@code redis-server} built with TLS ({@link
     * #tlsSupported()}).
     */
    public Builder tls() {
      this.tls = true;
      return this;
    }

    /**
     * Starts the server and waits until it answers PING. When it exits at once (another process
     * took the free port first), it tries again on another port, three times in all.
     *
     * @throws IllegalStateException when no binary is found or the server does not come up
     * @throws UncheckedIOException when the directory or the process cannot be created
     */
    public RedisServer start() {
      Path bin = binary != null ? binary : RedisServer.binary();
      if (bin == null) {
        throw new IllegalStateException("redis-server is not installed (apt-get install redis-server)");
      }
      try {
        boolean temp = dir == null;
        Path d = temp ? Files.createTempDirectory("baton-redis-") : Files.createDirectories(dir);
        RedisServer server = new RedisServer(copy(), bin, d, temp);
        try {
          server.startOnFreePort();
        } catch (RuntimeException e) {
          server.close(); // a temporary directory goes with it
          throw e;
        }
        return server;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private Builder copy() {
      Builder b = new Builder();
      b.persistence = persistence;
      b.startTimeout = startTimeout;
      b.config.addAll(config);
      b.tls = tls;
      return b;
    }
  }

  /**
   * The {@code redis-server} binary: {@code $REDIS_SERVER} if set and executable, else the first in
   * {@link #defaultSearchPath()}; null when none is installed.
   */
  public static Path binary() {
    String env = System.getenv("REDIS_SERVER");
    if (env != null && !env.isBlank() && Files.isExecutable(Path.of(env))) {
      return Path.of(env);
    }
    return findBinary(defaultSearchPath());
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

  private void startOnFreePort() throws IOException {
    for (int attempt = 1; ; attempt++) {
      port = freePort();
      try {
        launch();
        return;
      } catch (ExitedAtStart e) {
        if (attempt == START_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private void launch() {
    List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--port", Integer.toString(port),
        "--bind", "127.0.0.1", "--save", "", "--dir", dir.toString(), "--daemonize", "no",
        "--logfile", dir.resolve("redis.log").toString(), "--maxmemory-policy", "noeviction"));
    switch (spec.persistence) {
      case NONE -> cmd.addAll(List.of("--appendonly", "no"));
      case AOF_EVERYSEC -> cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", "everysec"));
      case AOF_ALWAYS -> cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
    }
    if (spec.tls) {
      cmd.addAll(tlsConfig());
    }
    cmd.addAll(spec.config);
    try {
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + binary, e);
    }
    awaitPong();
  }

  private void awaitPong() {
    long deadline = System.nanoTime() + spec.startTimeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new ExitedAtStart("redis-server exited at start (exit " + process.exitValue() + ") on port " + port
            + "; " + logTail());
      }
      if (ping()) {
        long pid = answeringPid();
        if (pid == process.pid() || pid == 0) {
          return; // ours (or one that wants a password, which only ours can be: the port was free)
        }
        if (pid > 0) {
          process.destroyForcibly();
          throw new ExitedAtStart("process " + pid + ", not this redis-server (pid " + process.pid()
              + "), answers on port " + port);
        }
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        throw new IllegalStateException("interrupted while starting redis-server", e);
      }
    }
    process.destroyForcibly();
    throw new IllegalStateException("redis-server did not answer PING on port " + port + " within "
        + spec.startTimeout.toMillis() + " ms; " + logTail());
  }

  private static final class ExitedAtStart extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    ExitedAtStart(String message) {
      super(message);
    }
  }

  /** Up: PONG, or NOAUTH from a server with {@code requirepass} (LOADING while it reads its AOF is not). */
  private boolean ping() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(1000);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] buf = new byte[64];
      int n = s.getInputStream().read(buf);
      String reply = n > 0 ? new String(buf, 0, n, StandardCharsets.US_ASCII) : "";
      return reply.startsWith("+PONG") || reply.startsWith("-NOAUTH");
    } catch (IOException e) {
      return false;
    }
  }

  private String logTail() {
    for (String name : List.of("redis.log", "stdout.log")) {
      try {
        List<String> lines = Files.readAllLines(dir.resolve(name)).stream().filter(l -> !l.isBlank()).toList();
        if (!lines.isEmpty()) {
          return name + " ends with: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        }
      } catch (IOException e) {
        // not written (yet)
      }
    }
    return "no log in " + dir;
  }

  public int port() {
    return port;
  }

  /** {@code rediss://localhost:<tls port>}; only for a server built with {@link Builder#tls()}. */
  public String tlsUri() {
    if (!spec.tls) {
      throw new IllegalStateException("this server was not started with TLS");
    }
    return "rediss://localhost:" + tlsPort;
  }

  /** The PEM file of the CA that signed the server's certificate (with {@link Builder#tls()}). */
  public Path caFile() {
    return dir.resolve("tls").resolve("ca.crt");
  }

  /**
   * Why TLS servers cannot run here, or null when they can: {@code openssl} must be on the path and
   * the {@code redis-server} binary linked with OpenSSL (Debian's and most distributions' are).
   */
  public static String tlsSupported() {
    Path bin = binary();
    if (bin == null) {
      return "redis-server is not installed";
    }
    if (run(List.of("openssl", "version"), null) != 0) {
      return "openssl is not installed";
    }
    try {
      Process p = new ProcessBuilder("ldd", bin.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      return out.contains("libssl") ? null : bin + " is not linked with OpenSSL (built without TLS)";
    } catch (IOException e) {
      return "cannot inspect " + bin + ": " + e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  /** The TLS lines of the command: a free TLS port and the certificates, made on first use. */
  private List<String> tlsConfig() {
    try {
      tlsPort = freePort();
      Path d = dir.resolve("tls");
      if (!Files.exists(d.resolve("ca.crt"))) {
        Files.createDirectories(d);
        Files.writeString(d.resolve("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days",
            "2", "-subj", "/CN=baton-test-ca");
        openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
            "/CN=localhost");
        openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "2", "-extfile", "san.ext");
      }
      return List.of("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", d.resolve("server.crt").toString(),
          "--tls-key-file", d.resolve("server.key").toString(), "--tls-ca-cert-file", d.resolve("ca.crt").toString(),
          "--tls-auth-clients", "no");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void openssl(Path dir, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    if (run(cmd, dir) != 0) {
      throw new IllegalStateException("openssl failed: " + String.join(" ", cmd) + " (in " + dir + ")");
    }
  }

  /** Runs {@code cmd} in {@code dir}, output discarded: its exit code, or -1 when it cannot start. */
  private static int run(List<String> cmd, Path dir) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      return pb.start().waitFor();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** The process id of the current incarnation. */
  public long pid() {
    return process.pid();
  }

  /** The data directory (AOF, {@code redis.log}). */
  public Path dir() {
    return dir;
  }

  public Persistence persistence() {
    return spec.persistence;
  }

  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: no shutdown, no final fsync. Waits until the process is gone. No-op when not running. */
  public void kill() {
    lock.lock();
    try {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A graceful stop: SIGTERM (Redis fsyncs its AOF and exits), then SIGKILL if it is still up after
   * {@link #STOP_GRACE}. No-op when not running.
   */
  public void stop() {
    lock.lock();
    try {
      if (process != null && process.isAlive()) {
        process.destroy();
        if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts the server again on the same port and data directory (killing it first if it runs), and
   * waits until it answers PING, i.e. until it has loaded its AOF.
   *
   * @throws IllegalStateException when it does not come back, or after {@link #close()}
   */
  public void restart() {
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      kill();
      launch();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts another server, on a free port, on a copy of this one's data directory (logs left out),
   * for instance to read the state a crash left while this one stays down. Meaningful with an AOF;
   * the copy's directory is temporary, and the caller closes it.
   */
  public RedisServer startCopy() {
    try {
      Path copy = Files.createTempDirectory("baton-redis-copy-");
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Path target = copy.resolve(dir.relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else if (!p.getFileName().toString().endsWith(".log")) {
            Files.copy(p, target);
          }
        }
      }
      RedisServer server = new RedisServer(spec, binary, copy, true);
      try {
        server.startOnFreePort();
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@link #stop()}, then deletes the data directory if it was a temporary one. Idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      stop();
    } finally {
      lock.unlock();
    }
    if (ownsDir) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temporary directory: best effort
      }
    }
  }

  /**
   * A free loopback port never handed out before in this JVM: test classes may run at once, and a
   * port must not go to a second server while the first is down between a kill and its restart.
   */
  private static int freePort() throws IOException {
    while (true) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
        if (PORTS_USED.add(s.getLocalPort())) {
          return s.getLocalPort();
        }
      }
    }
  }

  /** The process id of the server answering on the port (INFO server); 0 when it asks for a password; -1 when unknown. */
  private long answeringPid() {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(2000);
      s.getOutputStream().write("INFO server\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] buf = new byte[8192];
      int n = s.getInputStream().read(buf);
      String reply = n > 0 ? new String(buf, 0, n, StandardCharsets.US_ASCII) : "";
      if (reply.startsWith("-NOAUTH")) {
        return 0;
      }
      int at = reply.indexOf("process_id:");
      if (at < 0) {
        return -1;
      }
      int end = reply.indexOf('\r', at);
      return Long.parseLong(reply.substring(at + "process_id:".length(), end < 0 ? reply.length() : end).trim());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
