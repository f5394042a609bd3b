package dev.baton.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What {@code baton worker} checks before it serves, so that a typo in {@code --exec} fails the
 * worker at once instead of every task: the command's first word must name something the shell can
 * run.
 *
 * <p>The rule: when the command starts with a plain word (letters, digits and {@code _ . / + - , : @
 * %}, not a shell reserved word, not followed by a redirection), that word is checked. A word with a
 * {@code /} is a path, relative to the worker's directory: it must be an executable file. Any other
 * word is looked up by the shell the commands run in, with their environment: {@code /bin/sh -c
 * 'command -v "$1"'}, which finds builtins ({@code cd}, {@code exec}, {@code true}) and programs on
 * the {@code PATH}. Anything else is accepted unchecked: a compound command ({@code if}, {@code
 * for}, {@code {...}}, {@code (...)}), an assignment ({@code X=1 cmd}), a leading redirection,
 * quoting or an expansion ({@code "$TOOL"}) in the first word. Only the first word is checked; a
 * missing program later in the command (after {@code ;}, {@code &&}, {@code |}) shows at run time as
 * exit 127, which is then a worker fault.
 */
final class ExecPreflight {
  private static final Set<String> RESERVED = Set.of("!", "{", "}", "case", "do", "done", "elif", "else", "esac",
      "fi", "for", "function", "if", "in", "select", "then", "time", "until", "while", "[[", "]]");
  private static final String BREAKS = ";&|<>()";

  private ExecPreflight() {}

  /** The first word of {@code command} to check, or empty when the rule above does not check it. */
  static Optional<String> checkedWord(String command) {
    String s = command.stripLeading();
    int end = 0;
    while (end < s.length() && !Character.isWhitespace(s.charAt(end)) && BREAKS.indexOf(s.charAt(end)) < 0) {
      end++;
    }
    String word = s.substring(0, end);
    if (word.isEmpty() || RESERVED.contains(word) || word.startsWith("-")) {
      return Optional.empty();
    }
    if (end < s.length() && (s.charAt(end) == '<' || s.charAt(end) == '>')) {
      return Optional.empty(); // "2>/dev/null cmd": a redirection, not a command name
    }
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      if (!(Character.isLetterOrDigit(c) || "_./+-,:@%".indexOf(c) >= 0)) {
        return Optional.empty(); // quoting, expansion, glob, assignment, tilde: not checked
      }
    }
    return Optional.of(word);
  }

  /**
   * Why {@code command} cannot run, or null when its first word is found (or not checked).
   *
   * @param env the environment the commands run with
   * @param dir the worker's working directory, where relative paths start
   */
  static String problem(String command, Map<String, String> env, Path dir) {
    if (command.isBlank()) {
      return "the command is empty: give the program to run per task";
    }
    Optional<String> checked = checkedWord(command);
    if (checked.isEmpty()) {
      return null;
    }
    String word = checked.get();
    if (word.contains("/")) {
      Path p;
      try {
        p = dir.resolve(word);
      } catch (InvalidPathException e) {
        return "'" + word + "' is not a valid path";
      }
      if (!Files.exists(p)) {
        return "'" + word + "' does not exist (the shell would exit 127 for every task)";
      }
      if (Files.isDirectory(p) || !Files.isExecutable(p)) {
        return "'" + word + "' is not an executable file (the shell would exit 126 for every task)";
      }
      return null;
    }
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "command -v \"$1\" >/dev/null 2>&1", "sh", word)
        .directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().clear();
    pb.environment().putAll(env);
    try {
      Process p = pb.start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null; // a shell this slow is not ours to judge; tasks will tell
      }
      if (p.exitValue() != 0) {
        return "'" + word + "' is not a shell builtin nor a program on the PATH (" + env.getOrDefault("PATH", "no PATH")
            + "); the shell would exit 127 for every task";
      }
      return null;
    } catch (IOException e) {
      return "cannot run /bin/sh to check it: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * The {@code setsid} program (util-linux) on the {@code PATH} or in {@code /usr/bin} or {@code
   * /bin}, as an absolute path, or null.
   */
  static Path setsid(Map<String, String> env) {
    List<String> dirs = new ArrayList<>();
    String path = env.get("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(List.of("/usr/bin", "/bin"));
    for (String d : dirs) {
      if (d.isEmpty() || !d.startsWith("/")) {
        continue;
      }
      Path p = Path.of(d, "setsid");
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
