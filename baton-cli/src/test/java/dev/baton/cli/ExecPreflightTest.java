package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ExecPreflightTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "./summarize.py --fast|./summarize.py",
    "  python3 -m agent|python3",
    "cat >/dev/null; env|cat",
    "cd /tmp && ./run|cd",
    "/usr/bin/env python3|/usr/bin/env",
  })
  void aPlainFirstWordIsChecked(String command, String word) {
    assertThat(ExecPreflight.checkedWord(command)).contains(word);
  }

  @ParameterizedTest
  @ValueSource(strings = {"if true; then cat; fi", "for i in 1 2; do echo $i; done", "{ cat; }", "(cat)",
      "LANG=C sort", "\"$TOOL\" --fast", "$TOOL", "'my tool' x", "2>/dev/null cat", ">out cat", "~/bin/agent",
      "! false", "while true; do break; done", "case x in *) cat;; esac", "", "   "})
  void compoundCommandsAssignmentsAndExpansionsAreNotChecked(String command) {
    assertThat(ExecPreflight.checkedWord(command)).isEqualTo(Optional.empty());
  }

  @Test
  void builtinsAndProgramsOnThePathPassAndTyposDoNot(@TempDir Path dir) throws Exception {
    Map<String, String> env = Map.of("PATH", "/usr/bin:/bin");
    Files.writeString(dir.resolve("data.txt"), "not a program");
    assertThat(ExecPreflight.problem("cd /tmp && ls", env, dir)).isNull();
    assertThat(ExecPreflight.problem("true", env, dir)).isNull();
    assertThat(ExecPreflight.problem("cat", env, dir)).isNull();
    assertThat(ExecPreflight.problem("if nosuch-xyz; then :; fi", env, dir)).isNull();
    assertThat(ExecPreflight.problem("nosuch-xyz --fast", env, dir))
        .startsWith("'nosuch-xyz' is not a shell builtin nor a program on the PATH (/usr/bin:/bin)");
    assertThat(ExecPreflight.problem("/bin/sh -c true", env, dir)).isNull();
    assertThat(ExecPreflight.problem("./data.txt", env, dir)).startsWith("'./data.txt' is not an executable file");
    assertThat(ExecPreflight.problem(dir + " x", env, dir)).startsWith("'" + dir + "' is not an executable file");
    assertThat(ExecPreflight.problem("./nosuch-xyz.sh", env, dir)).startsWith("'./nosuch-xyz.sh' does not exist");
  }

  @Test
  void shellResourceErrorsAreTheShellsOwn() {
    assertThat(ExecHandler.shellResourceError("/bin/sh: 1: Cannot fork")).isTrue();
    assertThat(ExecHandler.shellResourceError("x\n/bin/sh: 1: cannot create /tmp/x: Too many open files")).isTrue();
    assertThat(ExecHandler.shellResourceError("python: Cannot allocate memory")).isFalse();
    assertThat(ExecHandler.shellResourceError("/bin/sh: 1: cannot open nope: No such file")).isFalse();
    assertThat(ExecHandler.firstLine("\n  first  \nsecond")).isEqualTo("first");
  }

  @Test
  void theChildEnvironmentLosesBatonsSettings() {
    Map<String, String> env = ExecHandler.ChildEnvironment.of(Map.of("PATH", "/bin", "REDIS_URL", "redis://:pw@h",
        "BATON_REDIS_PASSWORD", "pw", "BATON_PREFIX", "p", "REDISCLI_AUTH", "pw", "API_KEY", "k"));
    assertThat(env).containsOnlyKeys("PATH", "API_KEY");
  }

  @Test
  void anEmptyCommandIsRefused() {
    for (String empty : new String[] {"", "   ", "\t"}) {
      assertThat(ExecPreflight.problem(empty, Map.of("PATH", "/usr/bin:/bin"), Path.of(".")))
          .as("'%s'", empty).contains("empty");
    }
  }
}
