package dev.baton.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.ExportedApi;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** baton-bench uses only what baton-core exports (the class path does not enforce the module descriptor). */
class ExportedApiOnlyTest {
  @Test
  void usesOnlyExportedPackagesOfBatonCore() throws Exception {
    List<Path> roots = List.of(Path.of("src/main/java"), Path.of("src/test/java"));
    assertThat(ExportedApi.violations(roots, Set.of("dev.baton.bench", "dev.baton.testkit"))).isEmpty();
  }
}
