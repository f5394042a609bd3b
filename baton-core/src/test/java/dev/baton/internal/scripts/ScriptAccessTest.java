package dev.baton.internal.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Only the gateways ({@code dev.baton.internal.scripts}) and the broker that runs the scripts
 * ({@code dev.baton.internal.broker}) may name {@code Script}: everywhere else, a script is called
 * through a gateway's typed method, so no other code writes a script's KEYS/ARGV layout or reads
 * its reply by position. Reads the main sources of baton-core.
 */
class ScriptAccessTest {
  private static final Path MAIN = Path.of("src/main/java");
  private static final List<Path> ALLOWED =
      List.of(MAIN.resolve("dev/baton/internal/scripts"), MAIN.resolve("dev/baton/internal/broker"));
  /** An import of Script (or of its whole package), or its qualified name. */
  private static final Pattern NAMES_SCRIPT =
      Pattern.compile("dev\\.baton\\.internal\\.broker\\.(Script\\b|\\*)");

  @Test
  void onlyTheGatewaysAndTheBrokerNameScript() throws IOException {
    List<Path> sources;
    try (Stream<Path> all = Files.walk(MAIN)) {
      sources = all.filter(p -> p.toString().endsWith(".java")).toList();
    }
    assertThat(sources).as("main sources of baton-core under " + MAIN.toAbsolutePath()).hasSizeGreaterThan(50);

    List<String> offenders = new ArrayList<>();
    int gatewaysNamingScript = 0;
    for (Path p : sources) {
      boolean names = NAMES_SCRIPT.matcher(Files.readString(p)).find();
      if (ALLOWED.stream().anyMatch(p::startsWith)) {
        gatewaysNamingScript += names ? 1 : 0;
      } else if (names) {
        offenders.add(MAIN.relativize(p).toString());
      }
    }
    assertThat(offenders).as("main sources outside the gateways that name Script").isEmpty();
    assertThat(gatewaysNamingScript).as("gateways importing Script (the check finds what it looks for)")
        .isGreaterThanOrEqualTo(8);
  }
}
