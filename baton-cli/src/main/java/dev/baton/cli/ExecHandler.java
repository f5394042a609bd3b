package dev.baton.cli;

import dev.baton.JsonCodec;
import dev.baton.NonRetryableException;
import dev.baton.RawJson;
import dev.baton.TaskContext;
import dev.baton.TaskHandler;
import dev.baton.WorkerFaultException;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a shell command per task: {@code setsid /bin/sh -c COMMAND}, with the payload on stdin and
 * the task in the environment. Its exit code decides the outcome (see {@link WorkerCommand}).
 *
 * <p>Each command leads its own session and process group, so a terminal's Ctrl-C reaches only the
 * worker (which then stops gracefully), and the whole group can be stopped: on the worker's
 * interrupt (deadline passed, shutdown grace over, lease lost), and as soon as the shell exits,
 * whatever it left running in its group gets SIGTERM, then SIGKILL after {@code killWait}. So a
 * background child neither outlives its task nor holds its pipes open. Stdin, stdout and stderr are
 * pumped on their own virtual threads: a child that does not read its stdin, or writes much to
 * stderr, never blocks.
 *
 * <p>What is the worker's fault and not the task's ({@link WorkerFaultException}: released
 * uncounted, the worker backs off): the shell cannot be started (an {@link IOException}: out of
 * file descriptors, memory or processes), the shell exits 126 or 127 (command not executable or not
 * found), the shell reports that it cannot fork or is out of file descriptors or memory, and an
 * {@link OutOfMemoryError} in the worker while running the command.
 */
final class ExecHandler implements TaskHandler {
  private static final Logger log = LoggerFactory.getLogger(ExecHandler.class);

  /** Exit code for a permanent failure (sysexits.h {@code EX_DATAERR}): dead-letter at once. */
  static final int EXIT_PERMANENT = 65;
  /** The shell's exit code for a command found but not executable. */
  static final int EXIT_CANNOT_EXECUTE = 126;
  /** The shell's exit code for a command not found. */
  static final int EXIT_NOT_FOUND = 127;
  /**
   * Longest error message: Baton stores at most 2,000 characters of an attempt's message and cuts
   * the end, so the stderr tail is sized for the whole message to fit.
   */
  static final int MAX_MESSAGE_CHARS = 2000;
  /** About how much of the end of stderr the error message shows. */
  static final int STDERR_TAIL_CHARS = 2000;
  /**
   * After the shell exited and its group was stopped, how long to wait for the end of its output. Only
   * a process that left the group (its own {@code setsid}) can still hold the pipes then.
   */
  static final Duration OUTPUT_AFTER_EXIT = Duration.ofSeconds(2);
  /** Messages of the shell itself ({@code /bin/sh: ...}) that say the worker's host ran out of something. */
  private static final List<String> SHELL_RESOURCE_ERRORS = List.of("cannot fork", "too many open files",
      "cannot allocate memory", "resource temporarily unavailable", "no space left on device");

  private final String command;
  private final Duration killWait;
  private final int maxResultBytes;
  private final Map<String, String> environment;
  private final Path setsid;
  private final JsonCodec codec = JsonCodec.jackson();
  private final Set<ProcessGroup> running = ConcurrentHashMap.newKeySet();

  /**
   * @param environment what every command inherits (Baton's own settings already removed, see
   *     {@link ChildEnvironment}); the task's variables are added per task
   * @param setsid the {@code setsid} program, or null to run commands in the worker's own process
   *     group (then only the shell and its descendants can be stopped)
   */
  ExecHandler(String command, Duration killWait, int maxResultBytes, Map<String, String> environment, Path setsid) {
    this.command = command;
    this.killWait = killWait;
    this.maxResultBytes = maxResultBytes;
    this.environment = Map.copyOf(environment);
    this.setsid = setsid;
  }

  @Override
  public Object handle(TaskContext ctx) throws Exception {
    try {
      Process p = start(ctx);
      ProcessGroup group = new ProcessGroup(p.toHandle(), setsid != null);
      running.add(group);
      try {
        return run(ctx, p, group);
      } finally {
        if (p.isAlive()) { // run() ended abnormally (out of memory, an unexpected error) before the shell did
          group.stop(killWait);
        }
        running.remove(group);
        closeQuietly(p.getOutputStream());
        closeQuietly(p.getInputStream());
        closeQuietly(p.getErrorStream());
      }
    } catch (OutOfMemoryError e) {
      throw new WorkerFaultException("worker out of memory running the command: " + e.getMessage(), e);
    }
  }

  private Process start(TaskContext ctx) {
    List<String> argv = new ArrayList<>(4);
    if (setsid != null) {
      argv.add(setsid.toString());
    }
    argv.addAll(List.of("/bin/sh", "-c", command));
    ProcessBuilder pb = new ProcessBuilder(argv);
    Map<String, String> env = pb.environment();
    env.clear();
    env.putAll(environment);
    env.put("BATON_TASK_ID", ctx.taskId());
    env.put("BATON_AGENT_TYPE", ctx.agentType());
    env.put("BATON_ATTEMPT", Integer.toString(ctx.attempt()));
    env.put("BATON_MAX_ATTEMPTS", Integer.toString(ctx.maxAttempts()));
    env.put("BATON_DEADLINE", ctx.deadline().toString());
    try {
      return pb.start();
    } catch (IOException e) {
      // EMFILE, ENFILE, ENOMEM, EAGAIN (process limit), or /bin/sh missing: nothing about the task.
      // The first line only: newer JDKs append a multi-line list of "possible reasons" about their
      // spawn helper, which would turn the worker's one ERROR line per back-off into a dozen
      String m = String.valueOf(e.getMessage());
      int eol = m.indexOf('\n');
      throw new WorkerFaultException("cannot start the command: " + (eol < 0 ? m : m.substring(0, eol)).strip(), e);
    }
  }

  private Object run(TaskContext ctx, Process p, ProcessGroup group) throws Exception {
    pump(p.getOutputStream(), ctx.payloadJson());
    Capture out = Capture.start(p.getInputStream(), maxResultBytes + 1L, "stdout");
    Capture err = Capture.start(p.getErrorStream(), STDERR_TAIL_CHARS * 4L, "stderr");
    int code;
    try {
      // onExit() parks a virtual thread; Process.waitFor() would pin its carrier on Java 21
      code = p.onExit().get().exitValue();
    } catch (InterruptedException e) {
      boolean gone = group.stop(killWait);
      log.warn("task {} of {} attempt {}/{}: cancelled (deadline passed, worker stopping or lease lost); its "
          + "command's process group {} got SIGTERM{}", ctx.taskId(), ctx.agentType(), ctx.attempt(), ctx.maxAttempts(),
          group.pgid(), gone ? "" : " and SIGKILL, and some processes are still alive");
      throw e;
    } catch (ExecutionException e) {
      group.stop(killWait);
      throw new IllegalStateException("waiting for the command failed: " + e.getCause(), e.getCause());
    }
    // The shell exited: what it left running in its group (a background child) ends with the task,
    // so it can neither outlive the worker nor keep the output pipes open.
    if (group.anyAlive()) {
      log.debug("task {}: the command exited {} leaving processes in group {}; stopping them", ctx.taskId(), code,
          group.pgid());
      group.stop(killWait);
    }
    Bounded stdout = out.awaitEnd(OUTPUT_AFTER_EXIT);
    Bounded stderr = err.awaitEnd(OUTPUT_AFTER_EXIT);
    Error readFailed = out.failure() != null ? out.failure() : err.failure();
    if (readFailed != null) {
      throw new WorkerFaultException("worker could not read the command's output: " + readFailed, readFailed);
    }
    if (!out.ended() || !err.ended()) {
      log.warn("task {}: a process outside the command's process group (it started its own session) still holds "
          + "the command's output open; using what was written so far", ctx.taskId());
    }
    if (code == 0) {
      return result(stdout);
    }
    String errText = new String(stderr.bytes(), StandardCharsets.UTF_8);
    String firstLine = firstLine(errText);
    if (code == EXIT_NOT_FOUND || code == EXIT_CANNOT_EXECUTE || shellResourceError(errText)) {
      throw new WorkerFaultException("command " + (code == EXIT_NOT_FOUND ? "not found"
          : code == EXIT_CANNOT_EXECUTE ? "not executable" : "could not run") + " (exit " + code + ")"
          + (firstLine.isEmpty() ? "" : ": " + firstLine));
    }
    String message = withStderr("command exited with code " + code, errText);
    boolean dead = code == EXIT_PERMANENT || ctx.attempt() >= ctx.maxAttempts();
    String outcome = code == EXIT_PERMANENT ? "permanent failure, dead-lettered"
        : dead ? "attempts exhausted, dead-lettered" : "will be retried";
    if (dead) {
      log.error("task {} of {} attempt {}/{} failed ({}): exit code {}; stderr: {}", ctx.taskId(), ctx.agentType(),
          ctx.attempt(), ctx.maxAttempts(), outcome, code, firstLine);
    } else {
      log.warn("task {} of {} attempt {}/{} failed ({}): exit code {}; stderr: {}", ctx.taskId(), ctx.agentType(),
          ctx.attempt(), ctx.maxAttempts(), outcome, code, firstLine);
    }
    if (code == EXIT_PERMANENT) {
      throw new NonRetryableException(message);
    }
    throw new CommandFailedException(code, message);
  }

  private Object result(Bounded out) {
    if (out.truncated()) {
      throw new NonRetryableException("command wrote more than " + maxResultBytes + " bytes to stdout");
    }
    String text = new String(out.bytes(), StandardCharsets.UTF_8);
    if (text.isBlank()) {
      return null;
    }
    String trimmed = text.strip();
    try {
      codec.validate(trimmed);
      return new RawJson(trimmed);
    } catch (IllegalArgumentException notJson) {
      return text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
          : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }
  }

  /** Whether the shell itself (not the command) reported that the host ran out of something. */
  static boolean shellResourceError(String stderr) {
    for (String line : stderr.lines().toList()) {
      String l = line.toLowerCase(Locale.ROOT);
      if ((l.startsWith("/bin/sh:") || l.startsWith("sh:")) && SHELL_RESOURCE_ERRORS.stream().anyMatch(l::contains)) {
        return true;
      }
    }
    return false;
  }

  /** The first non-blank line of {@code text}, stripped and cut to 300 characters. */
  static String firstLine(String text) {
    String line = text.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
    return line.length() > 300 ? line.substring(0, 300) + "..." : line;
  }

  /** {@code head}, then as much of the end of stderr as fits in {@link #MAX_MESSAGE_CHARS}. */
  private static String withStderr(String head, String stderr) {
    String s = stderr.strip();
    if (s.isEmpty()) {
      return head;
    }
    String prefix = head + "; stderr: ";
    int room = MAX_MESSAGE_CHARS - prefix.length();
    if (s.length() > room) {
      s = "..." + s.substring(s.length() - (room - 3));
    }
    return prefix + s;
  }

  /** Stops every command still running, with its process group. */
  void destroyAll() {
    List<ProcessGroup> groups = List.copyOf(running);
    List<Thread> stoppers = new ArrayList<>();
    for (ProcessGroup g : groups) {
      stoppers.add(Thread.ofVirtual().name("baton-exec-stop").start(() -> g.stop(killWait)));
    }
    for (Thread t : stoppers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  record Bounded(byte[] bytes, boolean truncated) {}

  /**
   * One output stream read to its end on a virtual thread, keeping its last {@code limit} bytes;
   * what was read so far can be taken at any time.
   */
  private static final class Capture {
    private final long limit;
    private final ReentrantLock lock = new ReentrantLock();
    private final CountDownLatch end = new CountDownLatch(1);
    private ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private boolean truncated;
    private volatile Error failure;

    private Capture(long limit) {
      this.limit = limit;
    }

    static Capture start(InputStream in, long limit, String name) {
      Capture c = new Capture(limit);
      Thread.ofVirtual().name("baton-exec-" + name).start(() -> {
        try (in) {
          byte[] chunk = new byte[8192];
          int n;
          while ((n = in.read(chunk)) != -1) {
            c.append(chunk, n);
          }
        } catch (IOException | RuntimeException e) {
          // the stream was closed under us (the task ended): keep what was read
        } catch (OutOfMemoryError e) {
          c.failure = e; // what was read is not the whole output
        } finally {
          c.end.countDown();
        }
      });
      return c;
    }

    private void append(byte[] chunk, int n) {
      lock.lock();
      try {
        buf.write(chunk, 0, n);
        if (buf.size() > 2 * limit) { // keep the tail, bounded
          byte[] all = buf.toByteArray();
          buf = new ByteArrayOutputStream();
          buf.write(all, (int) (all.length - limit), (int) limit);
          truncated = true;
        }
      } finally {
        lock.unlock();
      }
    }

    /** Waits up to {@code wait} for the end of the stream, then returns what was read. */
    Bounded awaitEnd(Duration wait) throws InterruptedException {
      end.await(wait.toMillis(), TimeUnit.MILLISECONDS);
      lock.lock();
      try {
        byte[] all = buf.toByteArray();
        if (all.length > limit) {
          return new Bounded(java.util.Arrays.copyOfRange(all, (int) (all.length - limit), all.length), true);
        }
        return new Bounded(all, truncated);
      } finally {
        lock.unlock();
      }
    }

    boolean ended() {
      return end.getCount() == 0;
    }

    /** The worker ran out of memory reading it: what was read is not all the command wrote. */
    Error failure() {
      return failure;
    }
  }

  /** Writes the payload to the command's stdin and closes it, on a virtual thread. */
  private static void pump(OutputStream os, String payload) {
    Thread.ofVirtual().name("baton-exec-stdin").start(() -> {
      try (os) {
        os.write(payload.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        // the command exited or closed stdin without reading it all: not an error
      }
    });
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // already closed
    }
  }

  /** The environment commands inherit: the worker's, without Baton's own settings and secrets. */
  static final class ChildEnvironment {
    private ChildEnvironment() {}

    /**
     * {@code parent} without {@code REDIS_URL}, {@code REDISCLI_AUTH} and every {@code BATON_*}
     * variable ({@code BATON_REDIS_PASSWORD}, {@code BATON_PREFIX}, {@code BATON_JAVA_OPTS}, ...):
     * they configure the worker, may carry the Redis password, and a command that printed them would
     * store them in its result.
     */
    static Map<String, String> of(Map<String, String> parent) {
      Map<String, String> env = new HashMap<>(parent);
      env.keySet().removeIf(ChildEnvironment::isWorkerSetting);
      return env;
    }

    static boolean isWorkerSetting(String name) {
      return name.equals(GlobalOptions.ENV_REDIS_URL) || name.equals("REDISCLI_AUTH") || name.startsWith("BATON_");
    }
  }

  /** A retryable failure: the command exited with a code other than 0, 65, 126 and 127. */
  static final class CommandFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    CommandFailedException(int exitCode, String message) {
      super(message);
      this.exitCode = exitCode;
    }

    int exitCode() {
      return exitCode;
    }
  }
}
