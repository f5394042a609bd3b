package dev.baton.testing;

import dev.baton.testkit.WorkerJvm;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Child JVMs for core's fault-injection tests ({@link WorkerMain}, {@link LimitsMain}, {@link
 * BreakerWorkerMain}), on the test's JDK and class path: a small heap, the C1 compiler only (they
 * start faster), and stderr kept in {@code target/worker-logs/} for post-mortems.
 */
public final class TestJvms {
  private static final Path LOGS = Path.of("target", "worker-logs");

  private TestJvms() {}

  /** Starts {@code main} with {@code args}. */
  public static WorkerJvm start(Class<?> main, String... args) throws IOException {
    return WorkerJvm.builder(main).jvmOptions("-Xmx256m", "-XX:TieredStopAtLevel=1").logDir(LOGS).args(args).start();
  }
}
