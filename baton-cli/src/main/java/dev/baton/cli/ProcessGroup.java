package dev.baton.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The processes of one command: its process group (the command runs as the leader of a new
 * session, so the group's id is the shell's pid) plus, for when /proc cannot be read or the group
 * was not set up, the shell and its descendants. The JDK cannot signal a group, so its members are
 * found in {@code /proc/<pid>/stat} and signalled one by one, again and again until none is left:
 * a member forked between two looks is found by the next one. Zombies are not counted: they hold
 * no files and their parent (or init) reaps them.
 */
final class ProcessGroup {
  private static final Path PROC = Path.of("/proc");
  private static final Duration POLL = Duration.ofMillis(20);
  /** How long to wait for members to die after SIGKILL before giving up. */
  private static final Duration KILL_WAIT = Duration.ofSeconds(2);

  private final ProcessHandle leader;
  private final boolean ownGroup;

  /**
   * @param leader the shell the worker started
   * @param ownGroup whether the shell leads its own process group (started through setsid)
   */
  ProcessGroup(ProcessHandle leader, boolean ownGroup) {
    this.leader = leader;
    this.ownGroup = ownGroup;
  }

  long pgid() {
    return leader.pid();
  }

  /** The live members: of the group, and the shell's descendants. */
  List<ProcessHandle> members() {
    Map<Long, ProcessHandle> found = new LinkedHashMap<>();
    if (leader.isAlive()) {
      found.put(leader.pid(), leader);
    }
    leader.descendants().forEach(h -> found.put(h.pid(), h));
    if (ownGroup) {
      for (long pid : pidsInGroup(leader.pid())) {
        ProcessHandle.of(pid).ifPresent(h -> found.putIfAbsent(pid, h));
      }
    }
    found.values().removeIf(h -> !h.isAlive() || isZombie(h.pid()));
    return new ArrayList<>(found.values());
  }

  /** True while a member is alive. */
  boolean anyAlive() {
    return !members().isEmpty();
  }

  /**
   * SIGTERM to every member, SIGKILL to those still alive after {@code killWait}, then waits (up to
   * a few seconds) until none is left. Runs to the end even when the calling thread is interrupted
   * (the interrupt is kept): a command must not outlive its task. Returns whether none is left.
   */
  boolean stop(Duration killWait) {
    boolean interrupted = Thread.interrupted();
    try {
      Set<Long> termed = new HashSet<>();
      long deadline = System.nanoTime() + killWait.toNanos();
      while (true) {
        List<ProcessHandle> alive = members();
        if (alive.isEmpty()) {
          return true;
        }
        for (ProcessHandle h : alive) {
          if (termed.add(h.pid())) {
            h.destroy();
          }
        }
        if (System.nanoTime() - deadline >= 0) {
          break;
        }
        interrupted |= pause();
      }
      long killDeadline = System.nanoTime() + KILL_WAIT.toNanos();
      while (true) {
        List<ProcessHandle> alive = members();
        if (alive.isEmpty()) {
          return true;
        }
        alive.forEach(ProcessHandle::destroyForcibly);
        if (System.nanoTime() - killDeadline >= 0) {
          return false;
        }
        interrupted |= pause();
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Sleeps one poll; true if interrupted meanwhile. */
  private static boolean pause() {
    try {
      Thread.sleep(POLL);
      return false;
    } catch (InterruptedException e) {
      return true;
    }
  }

  /** The pids of the live, non-zombie processes in group {@code pgid}; empty when /proc cannot be read. */
  static List<Long> pidsInGroup(long pgid) {
    List<Long> pids = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(PROC)) {
      for (Path p : dir) {
        String name = p.getFileName().toString();
        if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
          Stat st = stat(Long.parseLong(name));
          if (st != null && st.pgrp() == pgid && st.state() != 'Z' && st.state() != 'X') {
            pids.add(st.pid());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // no /proc, or out of file descriptors: the shell's descendants still count
    }
    return pids;
  }

  /** State and process group of a process, from {@code /proc/<pid>/stat}. */
  record Stat(long pid, char state, long pgrp) {}

  /** The process's stat line, or null if it is gone or cannot be read. */
  static Stat stat(long pid) {
    try {
      String s = new String(Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("stat")),
          StandardCharsets.UTF_8);
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return new Stat(pid, f[0].charAt(0), Long.parseLong(f[2]));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A zombie (exited, not yet reaped); false when its stat cannot be read (out of file descriptors). */
  private static boolean isZombie(long pid) {
    Stat st = stat(pid);
    return st != null && (st.state() == 'Z' || st.state() == 'X');
  }
}
