package dev.baton.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Child JVMs of {@link ChildMain}: arguments, environment, output, stdin, signals and exit codes. */
class WorkerJvmIT {
  private static final Duration START = Duration.ofSeconds(30);

  @Test
  void runsOnThisClassPathWithArgsEnvAndOptionsAndKeepsNoTemporaryLog() throws Exception {
    Path log;
    try (WorkerJvm w = WorkerJvm.builder(ChildMain.class).jvmOptions("-Dchild.prop=p").args("a", "b")
        .env("CHILD_ENV", "e").start()) {
      await().atMost(START).until(() -> w.marker("PROP ").isPresent() && w.log().contains("a line on stderr"));
      assertThat(w.value("ARGS ")).hasValue("a b");
      assertThat(w.value("ENV ")).hasValue("e");
      assertThat(w.value("PROP ")).hasValue("p");
      assertThat(w.isAlive()).isTrue();
      assertThat(w.exitCode()).isEmpty();
      assertThat(w.pid()).isPositive();
      log = w.logFile();
      assertThat(log).exists();
    }
    assertThat(log).as("a temporary log is deleted").doesNotExist();
  }

  @Test
  void answersOverStdinAndReportsItsExitCode() throws Exception {
    try (WorkerJvm w = WorkerJvm.start(ChildMain.class)) {
      assertThat(w.nextLine(START)).isEqualTo("ARGS ");
      assertThat(w.nextLine(START)).isEqualTo("ENV null");
      assertThat(w.nextLine(START)).isEqualTo("PROP null");
      w.send("ECHO hello");
      assertThat(w.nextLine(START)).isEqualTo("hello");
      assertThat(w.nextLine(Duration.ofMillis(100))).as("nothing more yet").isNull();
      w.send("EXIT 3");
      assertThat(w.waitFor(START)).isTrue();
      assertThat(w.exitCode()).isEqualTo(OptionalInt.of(3));
      assertThat(w.nextLine(START)).isEqualTo("BYE");
      assertThat(w.nextLine(START)).as("stdout ended").isNull();
    }
  }

  @Test
  void pauseStopsEveryThreadUntilResume() throws Exception {
    try (WorkerJvm w = WorkerJvm.start(ChildMain.class, "tick")) {
      await().atMost(START).until(() -> w.marker("TICK 3").isPresent());
      w.pause();
      Thread.sleep(200); // lines already written may still arrive
      int paused = w.markers().size();
      Thread.sleep(500);
      assertThat(w.markers()).as("no tick while stopped").hasSize(paused);
      assertThat(w.isAlive()).isTrue();
      w.resume();
      await().atMost(Duration.ofSeconds(10)).until(() -> w.markers().size() > paused);
    }
  }

  @Test
  void terminateRunsShutdownHooksAndKillDoesNot() throws Exception {
    try (WorkerJvm graceful = WorkerJvm.start(ChildMain.class); WorkerJvm killed = WorkerJvm.start(ChildMain.class)) {
      await().atMost(START).until(() -> graceful.marker("PROP").isPresent() && killed.marker("PROP").isPresent());
      graceful.terminate();
      killed.kill();
      assertThat(graceful.waitFor(START)).isTrue();
      assertThat(graceful.exitCode()).isEqualTo(OptionalInt.of(128 + 15));
      await().atMost(Duration.ofSeconds(5)).until(() -> graceful.marker("BYE").isPresent());
      assertThat(killed.exitCode()).isEqualTo(OptionalInt.of(128 + 9));
      assertThat(killed.marker("BYE")).isEmpty();
    }
  }

  @Test
  void aPausedJvmCanBeKilled() throws Exception {
    try (WorkerJvm w = WorkerJvm.start(ChildMain.class)) {
      await().atMost(START).until(() -> w.marker("PROP").isPresent());
      w.pause();
      w.kill();
      assertThat(w.exitCode()).isEqualTo(OptionalInt.of(128 + 9));
    }
  }

  @Test
  void outputSendsBothStreamsToOneKeptFile(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("child.log");
    try (WorkerJvm w = WorkerJvm.builder(ChildMain.class).args("x").output(out).start()) {
      await().atMost(START).until(() -> w.log().contains("a line on stderr") && w.log().contains("ARGS x"));
      assertThat(w.markers()).as("stdout is not read").isEmpty();
      assertThat(w.nextLine(Duration.ofMillis(10))).isNull();
      assertThat(w.cpu()).isPositive();
    }
    assertThat(Files.readString(out)).contains("ARGS x", "a line on stderr");
  }

  @Test
  void aLogDirKeepsEachChildsStderr(@TempDir Path dir) throws Exception {
    Path logs = dir.resolve("logs");
    Path log;
    try (WorkerJvm w = WorkerJvm.builder(ChildMain.class).logDir(logs).start()) {
      await().atMost(START).until(() -> w.log().contains("a line on stderr"));
      log = w.logFile();
    }
    assertThat(log.getParent()).isEqualTo(logs);
    assertThat(log.getFileName().toString()).startsWith("childmain-").endsWith(".log");
    assertThat(Files.readString(log)).contains("a line on stderr");
  }

  @Test
  void aStartupCacheNeedsClassesFromJars() {
    assertThat(StartupCache.possible(ChildMain.class)).as("test classes are a directory").isFalse();
    assertThat(StartupCache.possible(Test.class)).as("JUnit is a jar").isTrue();
    assertThat(StartupCache.jarClassPath().split(java.io.File.pathSeparator)).allMatch(p -> p.endsWith(".jar"));
  }

  @Test
  void betweenIsTheDurationOfTwoNanoTimeReadings() {
    assertThat(WorkerJvm.between(1_000, 3_000_001_000L)).isEqualTo(Duration.ofSeconds(3));
  }
}
