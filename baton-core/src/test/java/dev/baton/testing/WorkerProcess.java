package dev.baton.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A {@link WorkerMain} JVM owned by a test: started with {@link #start}, its stdout markers
 * collected with the (test JVM) time each was read, and signalled with SIGSTOP, SIGCONT or SIGKILL.
 * Its stderr (the worker's log) goes to {@code target/worker-logs/}, kept for post-mortems, and
 * is read by {@link #log()}.
 */
public final class WorkerProcess implements AutoCloseable {
  /** One stdout line and {@link System#nanoTime()} in the test JVM when it was read. */
  public record Marker(String line, long readAtNanos) {}

  private final Process process;
  private final Path stderr;
  private final List<Marker> markers = new CopyOnWriteArrayList<>();

  private WorkerProcess(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    Thread.ofVirtual().name("worker-" + process.pid() + "-stdout").start(this::readMarkers);
  }

  /** Starts {@code WorkerMain} with {@code args} on the same JDK and class path as the test. */
  public static WorkerProcess start(String... args) throws IOException {
    return startMain(WorkerMain.class, args);
  }

  /** Starts {@code main} (a class with a main method on the test class path) with {@code args}. */
  public static WorkerProcess startMain(Class<?> main, String... args) throws IOException {
    Path dir = Files.createDirectories(Path.of("target", "worker-logs"));
    Path stderr = Files.createTempFile(dir, "worker-", ".log");
    List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
    return new WorkerProcess(p, stderr);
  }

  private void readMarkers() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        markers.add(new Marker(line, System.nanoTime()));
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code once the process ended. */
  public OptionalInt exitCode() {
    return process.isAlive() ? OptionalInt.empty() : OptionalInt.of(process.exitValue());
  }

  /** The first marker starting with {@code prefix}, if printed yet. */
  public Optional<Marker> marker(String prefix) {
    return markers.stream().filter(m -> m.line().startsWith(prefix)).findFirst();
  }

  /** The rest of the first line starting with {@code prefix}, if printed yet. */
  public Optional<String> value(String prefix) {
    return marker(prefix).map(m -> m.line().substring(prefix.length()));
  }

  public List<Marker> markers() {
    return List.copyOf(markers);
  }

  /** The worker's log so far (its stderr). */
  public String log() {
    try {
      return Files.readString(stderr);
    } catch (IOException e) {
      return "";
    }
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
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  /** SIGKILL, and waits for the process to end (also when it is paused). */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    kill();
  }

  /** The java launcher running this test, so the worker runs on the same JDK. */
  static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
  }

  /** Nanoseconds between two {@link System#nanoTime()} readings, as a duration. */
  public static Duration between(long fromNanos, long toNanos) {
    return Duration.ofNanos(toNanos - fromNanos);
  }
}
