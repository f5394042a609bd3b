package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.ExportedApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ModuleDescriptorTest {
  @Test
  void exportsThePublicApiAndTheTestSupportPackageOnly() {
    assertThat(ExportedApi.exportedPackages()).containsExactly("dev.baton", "dev.baton.resilience", "dev.baton.testing");
  }

  @Test
  void publicPackagesDoNotDependOnTheirOwnImplementationTypesInSignatures() throws Exception {
    // public types of the exported packages may use internals in their bodies, never in a public
    // signature: a user could not name such a type
    for (Path dir : List.of(Path.of("src/main/java/dev/baton"), Path.of("src/main/java/dev/baton/resilience"))) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          for (String line : Files.readAllLines(f)) {
            if (line.matches("\\s*public .*") && !line.contains("class ") && !line.contains("interface ")) {
              assertThat(line).as(f + " exposes an internal type").doesNotContain("internal.");
              for (String internalType : Set.of("RedisBroker", "Keys", "WorkerRuntime", "Breakers", "ResultWaiter")) {
                assertThat(line).as(f + " exposes " + internalType).doesNotContainPattern("\\b" + internalType + "\\b");
              }
            }
          }
        }
      }
    }
  }

  @Test
  void sourcesOfOtherModulesAreCheckedAgainstTheDescriptor() throws Exception {
    // the checker itself: a reference to an internal package is reported, an exported one is not
    Path dir = Files.createTempDirectory("exported-api");
    Files.writeString(dir.resolve("A.java"), "import dev.baton.internal.broker.Keys;\nimport dev.baton.resilience.RateLimit;\n");
    assertThat(ExportedApi.violations(List.of(dir), Set.of())).containsExactly("A.java: dev.baton.internal.broker");
    // a package named only in a string or a comment is no dependency
    Files.writeString(dir.resolve("A.java"), "class A { String logger = \"dev.baton.internal.server.X\"; } // dev.baton.internal.Y\n");
    assertThat(ExportedApi.violations(List.of(dir), Set.of())).isEmpty();
  }
}
