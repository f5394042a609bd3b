package dev.baton.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.ExportedApi;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** baton-cli uses only what baton-core exports, and baton-bench (the class path does not enforce the module descriptor). */
class ExportedApiOnlyTest {
  @Test
  void usesOnlyExportedPackagesOfBatonCore() throws Exception {
    List<Path> roots = List.of(Path.of("src/main/java"), Path.of("src/test/java"));
    assertThat(ExportedApi.violations(roots, Set.of("dev.baton.cli", "dev.baton.bench", "dev.baton.testkit"))).isEmpty();
  }
}
