package dev.baton.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.testkit.RedisServer.Persistence;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code redis-server} processes: persistence modes across SIGKILL, SIGTERM and restarts on the
 * same port, data directories, extra config, copies and start failures. Skipped without
 * redis-server, unless {@code CI=true}.
 */
class RedisServerIT {

  @BeforeAll
  static void redisServerInstalled() {
    if (RedisServer.binary() == null) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new IllegalStateException("redis-server is not installed; CI must install it (apt-get install redis-server)");
      }
      Assumptions.abort("redis-server is not installed: skipping");
    }
  }

  @Test
  void startsOnLoopbackWithoutPersistenceAndDeletesItsTemporaryDirectory() {
    Path dir;
    try (RedisServer redis = RedisServer.start()) {
      dir = redis.dir();
      assertThat(redis.isRunning()).isTrue();
      assertThat(redis.uri()).isEqualTo("redis://127.0.0.1:" + redis.port());
      assertThat(redis.pid()).isPositive();
      assertThat(call(redis, "CONFIG", "GET", "bind")).isEqualTo("127.0.0.1");
      assertThat(call(redis, "CONFIG", "GET", "appendonly")).isEqualTo("no");
      assertThat(call(redis, "CONFIG", "GET", "save")).isEmpty();
      assertThat(call(redis, "CONFIG", "GET", "maxmemory-policy")).isEqualTo("noeviction");
      call(redis, "SET", "k", "v");
      redis.kill();
      assertThat(redis.isRunning()).isFalse();
      redis.restart();
      assertThat(call(redis, "GET", "k")).as("nothing persisted").isNull();
    }
    assertThat(dir).doesNotExist();
  }

  @Test
  void anAofAlwaysKeepsEveryWriteAcrossAKillAndRestartsOnTheSamePort() {
    try (RedisServer redis = RedisServer.start(Persistence.AOF_ALWAYS)) {
      assertThat(redis.persistence()).isEqualTo(Persistence.AOF_ALWAYS);
      assertThat(call(redis, "CONFIG", "GET", "appendfsync")).isEqualTo("always");
      int port = redis.port();
      long pid = redis.pid();
      call(redis, "SET", "k", "v");
      redis.kill();
      redis.restart();
      assertThat(redis.port()).isEqualTo(port);
      assertThat(redis.pid()).isNotEqualTo(pid);
      assertThat(call(redis, "GET", "k")).isEqualTo("v");
    }
  }

  @Test
  void anAofEverysecInAGivenDirectoryIsKeptAfterCloseAndAGracefulStopLosesNothing(@TempDir Path tmp) {
    Path dir = tmp.resolve("redis");
    try (RedisServer redis = RedisServer.builder().persistence(Persistence.AOF_EVERYSEC).dir(dir).start()) {
      assertThat(call(redis, "CONFIG", "GET", "appendfsync")).isEqualTo("everysec");
      call(redis, "SET", "k", "v");
      redis.stop(); // SIGTERM: Redis fsyncs the AOF on its way out
      assertThat(redis.isRunning()).isFalse();
      redis.restart();
      assertThat(call(redis, "GET", "k")).isEqualTo("v");
    }
    assertThat(dir.resolve("redis.log")).exists();
    assertThat(dir.resolve("appendonlydir")).isDirectory();
  }

  @Test
  void extraConfigLinesAreAppliedAndWinOverTheDefaults() {
    try (RedisServer redis = RedisServer.builder().config("maxmemory", "10mb").config("loglevel", "warning")
        .config("maxmemory-policy", "allkeys-lru").start()) {
      assertThat(call(redis, "CONFIG", "GET", "maxmemory")).isEqualTo(Long.toString(10L * 1024 * 1024));
      assertThat(call(redis, "CONFIG", "GET", "loglevel")).isEqualTo("warning");
      assertThat(call(redis, "CONFIG", "GET", "maxmemory-policy")).isEqualTo("allkeys-lru");
    }
  }

  @Test
  void aServerWithAPasswordIsUpWhenItAsksForIt() {
    try (RedisServer redis = RedisServer.builder().config("requirepass", "s3cret")
        .config("user", "app", "on", ">pw", "~app:*", "+@all").start()) {
      assertThatThrownBy(() -> call(redis, "GET", "k")).hasMessageContaining("NOAUTH");
      redis.kill();
      redis.restart();
      assertThat(redis.isRunning()).isTrue();
    }
  }

  @Test
  void aCopyStartsOnAnotherPortWithTheDataACrashLeft() {
    try (RedisServer redis = RedisServer.start(Persistence.AOF_ALWAYS)) {
      call(redis, "SET", "k", "v");
      redis.kill();
      try (RedisServer copy = redis.startCopy()) {
        assertThat(copy.port()).isNotEqualTo(redis.port());
        assertThat(copy.dir()).isNotEqualTo(redis.dir());
        assertThat(call(copy, "GET", "k")).isEqualTo("v");
      }
      assertThat(redis.isRunning()).isFalse();
    }
  }

  @Test
  void closeIsIdempotentAndARestartAfterItFails() {
    RedisServer redis = RedisServer.start();
    redis.close();
    redis.close();
    assertThat(redis.isRunning()).isFalse();
    assertThatThrownBy(redis::restart).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void findsTheBinaryOnlyInTheDirectoriesGiven(@TempDir Path empty) {
    assertThat(RedisServer.findBinary(List.of(empty))).isNull();
    assertThat(RedisServer.findBinary(RedisServer.defaultSearchPath())).isNotNull();
    assertThat(RedisServer.defaultSearchPath()).contains(Path.of("/usr/sbin"), Path.of("/usr/bin"));
  }

  @Test
  void aBinaryThatCannotStartFailsWithItsLog(@TempDir Path tmp) throws IOException {
    assertThatThrownBy(() -> RedisServer.builder().binary(tmp.resolve("missing")).start())
        .isInstanceOf(UncheckedIOException.class);
    Path fake = tmp.resolve("redis-server");
    Files.writeString(fake, "#!/bin/sh\necho 'no such option' >&2\nexit 1\n");
    assertThat(fake.toFile().setExecutable(true)).isTrue();
    assertThatThrownBy(() -> RedisServer.builder().binary(fake).start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exited at start (exit 1)")
        .hasMessageContaining("no such option");
  }

  /** Sends one command and returns a simple or bulk reply, or the second element of an array. */
  private static String call(RedisServer redis, String... args) {
    try (Socket s = new Socket("127.0.0.1", redis.port())) {
      s.setSoTimeout(5000);
      StringBuilder b = new StringBuilder("*" + args.length + "\r\n");
      for (String a : args) {
        b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
      }
      OutputStream out = s.getOutputStream();
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      String first = in.readLine();
      if (first.startsWith("*")) {
        in.readLine();
        in.readLine();
        first = in.readLine();
      }
      return switch (first.charAt(0)) {
        case '+' -> first.substring(1);
        case '$' -> first.equals("$-1") ? null : in.readLine();
        default -> throw new IllegalStateException(String.join(" ", args) + ": " + first);
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
