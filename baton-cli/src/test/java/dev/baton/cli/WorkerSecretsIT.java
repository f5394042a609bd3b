package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.EnqueueResult;
import dev.baton.TaskInfo;
import dev.baton.TaskRequest;
import dev.baton.TaskState;
import dev.baton.testkit.RedisServer;
import dev.baton.testkit.WorkerJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redis password stays out of {@code ps} and out of the commands: a worker JVM given it in a
 * file or in {@code BATON_REDIS_PASSWORD} connects to a {@code requirepass} redis-server, its
 * command line does not hold it, and a command that prints its environment sees neither it nor
 * {@code REDIS_URL} nor any other {@code BATON_*} setting of the worker.
 */
class WorkerSecretsIT {
  /** Characters a URL must escape, to check that the password is encoded on its way to Redis. */
  private static final String PASSWORD = "pw/with@odd%chars:x";

  private static RedisServer server;

  @TempDir Path tmp;

  @BeforeAll
  static void start() {
    Assumptions.assumeTrue(RedisServer.binary() != null || "true".equalsIgnoreCase(System.getenv("CI")),
        "redis-server is not installed");
    server = RedisServer.builder().config("requirepass", PASSWORD).start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static String plainUrl() {
    return "redis://127.0.0.1:" + server.port();
  }

  private static BatonClient client(String prefix) {
    return BatonClient.connect(BatonConfig.builder()
        .redisUri("redis://:" + GlobalOptions.percentEncode(PASSWORD) + "@127.0.0.1:" + server.port())
        .keyPrefix(prefix).build());
  }

  @Test
  void aPasswordFileConnectsAndStaysOutOfPsAndTheCommands() throws Exception {
    Path file = tmp.resolve("redis-password");
    Files.writeString(file, PASSWORD + "\n");
    runEnvTask(WorkerJvm.builder(BatonCli.class).args("worker", "--redis-password-file", file.toString()));
  }

  @Test
  void aPasswordVariableConnectsAndIsNotPassedOn() throws Exception {
    runEnvTask(WorkerJvm.builder(BatonCli.class).env(GlobalOptions.ENV_REDIS_PASSWORD, PASSWORD).args("worker"));
  }

  /** Starts the worker (URL in REDIS_URL, without password) running {@code env}, and checks what it printed. */
  private void runEnvTask(WorkerJvm.Builder builder) throws Exception {
    String prefix = "secrets-" + UUID.randomUUID();
    builder.env(GlobalOptions.ENV_REDIS_URL, plainUrl()).env(GlobalOptions.ENV_PREFIX, prefix)
        .env("BATON_JAVA_OPTS", "-Dsome.setting=1")
        .args("--queue", "env", "--exec", "cat >/dev/null; env");
    try (WorkerJvm worker = builder.start(); BatonClient client = client(prefix)) {
      await().atMost(Duration.ofSeconds(30)).until(() -> worker.log().contains(" serving [env]") || !worker.isAlive());
      assertThat(worker.isAlive()).as(worker.log()).isTrue();

      String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(worker.pid()), "cmdline")),
          StandardCharsets.UTF_8).replace('\0', ' ');
      assertThat(cmdline).contains(BatonCli.class.getName() + " worker").doesNotContain(PASSWORD)
          .doesNotContain(GlobalOptions.percentEncode(PASSWORD));

      EnqueueResult r = client.dispatcher().enqueue(TaskRequest.builder("env").payloadJson("{}").build());
      TaskInfo done = client.dispatcher().awaitResult(r.id(), Duration.ofSeconds(20));
      assertThat(done.state()).as(worker.log()).isEqualTo(TaskState.SUCCEEDED);
      String env = dev.baton.JsonCodec.jackson().decode(done.resultJson(), String.class);
      assertThat(env).contains("BATON_TASK_ID=" + r.id()).contains("BATON_ATTEMPT=1").contains("PATH=");
      assertThat(env).doesNotContain(PASSWORD).doesNotContain(GlobalOptions.percentEncode(PASSWORD))
          .doesNotContain("REDIS_URL").doesNotContain(prefix).doesNotContain("BATON_PREFIX")
          .doesNotContain("BATON_REDIS_PASSWORD").doesNotContain("BATON_JAVA_OPTS");
    }
  }

  @Test
  void passwordOptionsAreCheckedWithoutEchoingThePassword() throws Exception {
    Cli.Result missing = Cli.runRaw("--redis", plainUrl(), "--redis-password-file", tmp.resolve("nope").toString(),
        "stats");
    assertThat(missing.exitCode()).as(missing.err()).isEqualTo(ExitCodes.USAGE);
    assertThat(missing.err()).startsWith("baton: cannot read --redis-password-file " + tmp.resolve("nope"));

    Path file = tmp.resolve("pw");
    Files.writeString(file, PASSWORD + "\n");
    Cli.Result both = Cli.runRaw("--redis", "redis://:other-secret@127.0.0.1:" + server.port(),
        "--redis-password-file", file.toString(), "stats");
    assertThat(both.exitCode()).as(both.err()).isEqualTo(ExitCodes.USAGE);
    assertThat(both.err()).contains("already holds a password").doesNotContain(PASSWORD);

    Path wrong = tmp.resolve("wrong");
    Files.writeString(wrong, "not-the-password\n");
    Cli.Result refused = Cli.runRaw("--redis", plainUrl(), "--redis-password-file", wrong.toString(), "stats");
    assertThat(refused.exitCode()).as(refused.err()).isEqualTo(ExitCodes.REDIS_CONFIGURATION);
    assertThat(refused.err()).contains("WRONGPASS").doesNotContain("not-the-password");

    Cli.Result viaFile = Cli.runRaw("--redis", plainUrl(), "--redis-password-file", file.toString(), "stats");
    assertThat(viaFile.exitCode()).as(viaFile.err()).isZero();
  }
}
