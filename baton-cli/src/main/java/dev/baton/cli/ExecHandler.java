package dev.baton.cli;

import dev.baton.JsonCodec;
import dev.baton.NonRetryableException;
import dev.baton.RawJson;
import dev.baton.TaskContext;
import dev.baton.TaskHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a shell command per task: {@code /bin/sh -c COMMAND} with the payload on stdin and the task
 * in the environment. Its exit code decides the outcome (see {@link WorkerCommand}).
 *
 * <p>The handler thread waits on the process, so the worker's interrupt (deadline passed, or
 * shutdown grace over) reaches it; the process and all its descendants are then terminated, and
 * killed after {@code killWait}. Stdin, stdout and stderr are pumped on their own virtual threads:
 * a child that does not read its stdin, or writes much to stderr, never blocks.
 */
final class ExecHandler implements TaskHandler {
  /** Exit code for a permanent failure (sysexits.h {@code EX_DATAERR}): dead-letter at once. */
  static final int EXIT_PERMANENT = 65;
  /**
   * Longest error message: Baton stores at most 2,000 characters of an attempt's message and cuts
   * the end, so the stderr tail is sized for the whole message to fit.
   */
  static final int MAX_MESSAGE_CHARS = 2000;
  /** About how much of the end of stderr the error message shows. */
  static final int STDERR_TAIL_CHARS = 2000;

  private final String command;
  private final Duration killWait;
  private final int maxResultBytes;
  private final JsonCodec codec = JsonCodec.jackson();
  private final Set<Process> running = ConcurrentHashMap.newKeySet();

  ExecHandler(String command, Duration killWait, int maxResultBytes) {
    this.command = command;
    this.killWait = killWait;
    this.maxResultBytes = maxResultBytes;
  }

  @Override
  public Object handle(TaskContext ctx) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command);
    Map<String, String> env = pb.environment();
    env.put("BATON_TASK_ID", ctx.taskId());
    env.put("BATON_AGENT_TYPE", ctx.agentType());
    env.put("BATON_ATTEMPT", Integer.toString(ctx.attempt()));
    env.put("BATON_MAX_ATTEMPTS", Integer.toString(ctx.maxAttempts()));
    env.put("BATON_DEADLINE", ctx.deadline().toString());
    Process p = pb.start();
    running.add(p);
    try {
      return run(ctx, p);
    } finally {
      running.remove(p);
    }
  }

  private Object run(TaskContext ctx, Process p) throws Exception {
    CompletableFuture<Void> stdin = pump(() -> writeAndClose(p.getOutputStream(), ctx.payloadJson()));
    CompletableFuture<Bounded> stdout = read(p.getInputStream(), maxResultBytes + 1L);
    CompletableFuture<Bounded> stderr = read(p.getErrorStream(), STDERR_TAIL_CHARS * 4L);
    int code;
    Bounded out;
    Bounded err;
    try {
      // onExit() parks a virtual thread; Process.waitFor() would pin its carrier on Java 21
      code = p.onExit().get().exitValue();
      // A background child that inherited stdout keeps the pipe open: wait for it as part of the task.
      out = stdout.get();
      err = stderr.get();
      stdin.cancel(false);
    } catch (InterruptedException e) {
      destroyTree(p);
      throw e;
    } catch (java.util.concurrent.ExecutionException e) {
      destroyTree(p);
      throw new IllegalStateException("waiting for the command failed: " + e.getCause(), e.getCause());
    }
    if (code == 0) {
      return result(out);
    }
    String message = withStderr("command exited with code " + code, err);
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

  /** {@code head}, then as much of the end of stderr as fits in {@link #MAX_MESSAGE_CHARS}. */
  private static String withStderr(String head, Bounded err) {
    String s = new String(err.bytes(), StandardCharsets.UTF_8).strip();
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

  /** Terminates every command still running, and its descendants. */
  void destroyAll() {
    for (Process p : List.copyOf(running)) {
      destroyTree(p);
    }
  }

  /**
   * Terminates the process and every descendant: SIGTERM, then SIGKILL for those still alive after
   * {@code killWait}. Descendants are listed first: once the shell dies they are re-parented and
   * can no longer be found from it.
   */
  void destroyTree(Process p) {
    boolean interrupted = Thread.interrupted(); // wait for the exits even though the thread was interrupted
    List<ProcessHandle> all = new ArrayList<>(p.descendants().toList());
    all.add(0, p.toHandle());
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + killWait.toNanos();
    for (ProcessHandle h : all) {
      long left = deadline - System.nanoTime();
      try {
        h.onExit().get(Math.max(0, left), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
        // killed below
      } catch (InterruptedException e) {
        interrupted = true;
        break;
      }
    }
    for (ProcessHandle h : all) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private record Bounded(byte[] bytes, boolean truncated) {}

  /** Reads a stream to its end on a virtual thread, keeping its last {@code limit} bytes. */
  private static CompletableFuture<Bounded> read(InputStream in, long limit) {
    CompletableFuture<Bounded> f = new CompletableFuture<>();
    Thread.ofVirtual().name("baton-exec-io").start(() -> {
      try (in) {
        f.complete(readBounded(in, limit));
      } catch (IOException e) {
        f.complete(new Bounded(new byte[0], false));
      } catch (Throwable t) {
        f.completeExceptionally(t);
      }
    });
    return f;
  }

  private static Bounded readBounded(InputStream in, long limit) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] chunk = new byte[8192];
    boolean truncated = false;
    int n;
    while ((n = in.read(chunk)) != -1) {
      buf.write(chunk, 0, n);
      if (buf.size() > 2 * limit) { // keep the tail, bounded
        byte[] all = buf.toByteArray();
        buf.reset();
        buf.write(all, (int) (all.length - limit), (int) limit);
        truncated = true;
      }
    }
    if (buf.size() > limit) {
      byte[] all = buf.toByteArray();
      return new Bounded(java.util.Arrays.copyOfRange(all, (int) (all.length - limit), all.length), true);
    }
    return new Bounded(buf.toByteArray(), truncated);
  }

  private static void writeAndClose(OutputStream os, String payload) {
    try (os) {
      os.write(payload.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // the command exited or closed stdin without reading it all: not an error
    }
  }

  private static CompletableFuture<Void> pump(Runnable r) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    Thread.ofVirtual().name("baton-exec-stdin").start(() -> {
      try {
        r.run();
      } finally {
        f.complete(null);
      }
    });
    return f;
  }

  /** A retryable failure: the command exited with a code other than 0 and 65. */
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
