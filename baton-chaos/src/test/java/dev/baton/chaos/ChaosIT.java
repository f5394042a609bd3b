package dev.baton.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The chaos suite's runner: for each {@code appendfsync} policy in {@code -Dchaos.fsync} (default
 * {@code always}), one {@link ChaosRun} with the settings of {@link ChaosSettings} (short form by
 * default), then the result table on stdout and in {@code target/chaos-report.md}, and the pass
 * criteria: lost = 0, stuck = 0, stale writes accepted = 0, duplicated executions within
 * (kills + pauses + freezes) x concurrency + executions in flight at Redis crashes.
 *
 * <p>Long form: {@code ./run-chaos --long}.
 */
class ChaosIT {

  @Test
  void noTaskIsLostWhenWorkersDieHangOrAreCutOffAndRedisRestarts() throws Exception {
    if (RedisServer.binary() == null) {
      boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
      if (ci) {
        throw new IllegalStateException("redis-server is not installed; CI must install it");
      }
      Assumptions.abort("redis-server is not installed: skipping the chaos suite");
    }
    Path base = Path.of(System.getProperty("chaos.dir", "target/chaos"));
    Path reportFile = Path.of(System.getProperty("chaos.report", "target/chaos-report.md"));
    Files.createDirectories(reportFile.toAbsolutePath().getParent());
    Files.writeString(reportFile, "# Baton chaos report\n\n");
    List<ChaosReport> reports = new ArrayList<>();
    for (String fsync : System.getProperty("chaos.fsync", "always").split(",")) {
      ChaosSettings settings = ChaosSettings.fromSystemProperties(fsync.strip());
      ChaosReport report;
      try (ChaosRun run = new ChaosRun(settings, base)) {
        report = run.run();
      }
      String md = report.toMarkdown();
      System.out.println();
      System.out.println(md);
      Files.writeString(reportFile, md + "\n", java.nio.file.StandardOpenOption.APPEND);
      reports.add(report);
    }
    ChaosRun.log("report written to " + reportFile.toAbsolutePath());
    for (ChaosReport r : reports) {
      assertThat(r.failures()).as(r.title() + " (seed " + r.settings().get("seed") + "); see " + reportFile).isEmpty();
      assertThat(r.count(ChaosReport.ACCEPTED)).as("tasks accepted").isGreaterThan(0);
    }
  }
}
