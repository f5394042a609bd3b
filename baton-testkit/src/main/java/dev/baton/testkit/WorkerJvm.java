package dev.baton.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A Java main class in a child JVM, on this JVM's JDK and (by default) class path, owned by a test
 * or a tool run. Its stdout is read line by line as {@link Marker}s, each with the time it was read;
 * its stderr goes to a log file. It can be paused (SIGSTOP), resumed (SIGCONT), stopped (SIGTERM)
 * or killed (SIGKILL), and driven over stdin with {@link #send} and {@link #nextLine}.
 *
 * <pre>{@code
 * try (WorkerJvm w = WorkerJvm.start(WorkerMain.class, uri, prefix)) {
 *   await().until(() -> w.marker("READY").isPresent());
 *   w.pause();
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} kills the process and deletes the log if it was a temporary file.
 */
public final class WorkerJvm implements AutoCloseable {
  /** One stdout line and {@link System#nanoTime()} in this JVM when it was read. */
  public record Marker(String line, long readAtNanos) {}

  private final Process process;
  private final Path log;
  private final boolean temporaryLog;
  private final Writer stdin;
  private final List<Marker> markers = new CopyOnWriteArrayList<>();
  private final ReentrantLock stdinLock = new ReentrantLock();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition lineRead = lock.newCondition();
  private boolean stdoutClosed;
  private int cursor;

  private WorkerJvm(Process process, Path log, boolean temporaryLog, boolean captured) {
    this.process = process;
    this.log = log;
    this.temporaryLog = temporaryLog;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    if (captured) {
      Thread.ofPlatform().daemon().name("worker-jvm-" + process.pid() + "-stdout").start(this::readStdout);
    } else {
      stdoutClosed = true;
    }
  }

  /** Starts {@code main} with {@code args} and the defaults of {@link Builder}. */
  public static WorkerJvm start(Class<?> main, String... args) throws IOException {
    return builder(main).args(args).start();
  }

  public static Builder builder(Class<?> main) {
    return new Builder(main.getName());
  }

  public static Builder builder(String mainClass) {
    return new Builder(mainClass);
  }

  /** How to start a child JVM; {@link #start()} may be called more than once. */
  public static final class Builder {
    private final String mainClass;
    private final List<String> jvmOptions = new ArrayList<>();
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private String classPath = System.getProperty("java.class.path");
    private Path logDir;
    private Path logFile;
    private Path output;

    private Builder(String mainClass) {
      this.mainClass = mainClass;
    }

    /** Adds JVM options, e.g. {@code -Xmx256m}. Default: none. */
    public Builder jvmOptions(String... options) {
      return jvmOptions(List.of(options));
    }

    public Builder jvmOptions(List<String> options) {
      jvmOptions.addAll(options);
      return this;
    }

    /** The class path. Default: this JVM's {@code java.class.path}. */
    public Builder classPath(String classPath) {
      this.classPath = classPath;
      return this;
    }

    /** Adds program arguments. */
    public Builder args(String... args) {
      return args(List.of(args));
    }

    public Builder args(List<String> args) {
      this.args.addAll(args);
      return this;
    }

    /** Sets an environment variable; the rest of this JVM's environment is inherited. */
    public Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /** Stderr goes to a new file in {@code dir} (created if missing), kept after {@link #close()}. */
    public Builder logDir(Path dir) {
      this.logDir = dir;
      return this;
    }

    /** Stderr is appended to {@code file}, kept after {@link #close()}. */
    public Builder logFile(Path file) {
      this.logFile = file;
      return this;
    }

    /**
     * Stdout and stderr are both appended to {@code file}, kept after {@link #close()}; no
     * {@link Marker}s are read then. Default: stdout is read as markers, and stderr goes to the
     * {@link #logFile} or a file in the {@link #logDir}; without either, to a temporary file that
     * {@link #close()} deletes.
     */
    public Builder output(Path file) {
      this.output = file;
      return this;
    }

    public WorkerJvm start() throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvmOptions);
      cmd.addAll(List.of("-cp", classPath, mainClass));
      cmd.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().putAll(env);
      if (output != null) {
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        return new WorkerJvm(pb.start(), output, false, false);
      }
      String name = mainClass.substring(mainClass.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) + "-";
      Path stderr = logFile != null ? logFile
          : logDir != null ? Files.createTempFile(Files.createDirectories(logDir), name, ".log")
          : Files.createTempFile("baton-" + name, ".log");
      pb.redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()));
      try {
        return new WorkerJvm(pb.start(), stderr, logFile == null && logDir == null, true);
      } catch (IOException e) {
        if (logFile == null && logDir == null) {
          Files.deleteIfExists(stderr);
        }
        throw e;
      }
    }
  }

  private void readStdout() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        markers.add(new Marker(line, System.nanoTime()));
        signal(false);
      }
    } catch (IOException e) {
      // the process ended
    }
    signal(true);
  }

  private void signal(boolean closed) {
    lock.lock();
    try {
      stdoutClosed |= closed;
      lineRead.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code once the process ended (128 + n after signal n, e.g. 137 after SIGKILL). */
  public OptionalInt exitCode() {
    return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
  }

  /** Waits up to {@code timeout} for the process to end; true if it did. */
  public boolean waitFor(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Every stdout line read so far. */
  public List<Marker> markers() {
    return List.copyOf(markers);
  }

  /** The first stdout line starting with {@code prefix}, if printed yet. */
  public Optional<Marker> marker(String prefix) {
    return markers.stream().filter(m -> m.line().startsWith(prefix)).findFirst();
  }

  /** The rest of the first stdout line starting with {@code prefix}, if printed yet. */
  public Optional<String> value(String prefix) {
    return marker(prefix).map(m -> m.line().substring(prefix.length()));
  }

  /**
   * The next stdout line not yet returned by this method, waiting up to {@code timeout} for it; null
   * when none came in time or stdout ended. For request-reply protocols over {@link #send}.
   */
  public String nextLine(Duration timeout) throws InterruptedException {
    long left = timeout.toNanos();
    lock.lock();
    try {
      while (cursor >= markers.size()) {
        if (stdoutClosed || left <= 0) {
          return null;
        }
        left = lineRead.awaitNanos(left);
      }
      return markers.get(cursor++).line();
    } finally {
      lock.unlock();
    }
  }

  /** Writes {@code line} and a newline to the process's stdin. */
  public void send(String line) throws IOException {
    stdinLock.lock(); // not the stdout lock: a write may block while the child waits for us to read
    try {
      stdin.write(line + "\n");
      stdin.flush();
    } finally {
      stdinLock.unlock();
    }
  }

  /** The log so far: stderr, or stdout and stderr with {@link Builder#output}. */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "";
    }
  }

  /** The last {@code n} lines of the {@link #log()}, joined with " | ", for error messages. */
  public String logTail(int n) {
    List<String> lines = log().lines().toList();
    return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
  }

  public Path logFile() {
    return log;
  }

  /** CPU time the process has used so far (user + system). */
  public Duration cpu() {
    return process.toHandle().info().totalCpuDuration().orElse(Duration.ZERO);
  }

  /** SIGSTOP: every thread of the JVM freezes at once, as in a long GC or VM pause. */
  public void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT: the paused JVM runs on, unaware of the time it lost. */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  /** SIGTERM: the JVM runs its shutdown hooks and exits. Does not wait; see {@link #waitFor}. */
  public void terminate() {
    process.toHandle().destroy(); // not Process.destroy(), which also closes our ends of the pipes
  }

  /** SIGKILL, and waits for the process to end (also when it is paused). */
  public void kill() {
    process.toHandle().destroyForcibly(); // the pipes stay open: what the JVM printed can still be read
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@link #kill()}, then deletes the log if it was a temporary file. */
  @Override
  public void close() {
    kill();
    if (temporaryLog) {
      try {
        Files.deleteIfExists(log);
      } catch (IOException e) {
        // a temporary file
      }
    }
  }

  /** Nanoseconds between two {@link System#nanoTime()} readings, as a duration. */
  public static Duration between(long fromNanos, long toNanos) {
    return Duration.ofNanos(toNanos - fromNanos);
  }
}
