package dev.baton.internal.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PermissionCheckTest {
  private static final Path SCRIPTS = Path.of("src/main/resources/dev/baton/lua");

  @Test
  void everyCommandTheScriptsCallIsCheckedAtStart() throws IOException {
    Set<String> called = new TreeSet<>();
    Pattern call = Pattern.compile("redis\\.p?call\\(\\s*'([A-Za-z]+)'");
    try (Stream<Path> files = Files.walk(SCRIPTS)) { // the scripts and their includes
      for (Path f : files.filter(p -> p.toString().endsWith(".lua")).toList()) {
        Matcher m = call.matcher(Files.readString(f));
        while (m.find()) {
          called.add(m.group(1).toUpperCase(Locale.ROOT));
        }
      }
    }
    assertThat(called).isNotEmpty();
    Set<String> probed = new TreeSet<>();
    PermissionCheck.probes(new Keys("p"), List.of("q"), List.of("d")).forEach(p -> probed.add(p.command()));
    assertThat(probed).containsAll(called);
  }

  @Test
  void theKeysProbedAreTheWorkersOwn() {
    List<PermissionCheck.Probe> probes = PermissionCheck.probes(new Keys("p"), List.of("q"), List.of("d"));
    // under its prefix and queue tag
    assertThat(probes).filteredOn(p -> p.command().equals("HSET"))
        .extracting(p -> p.args().get(0)).allSatisfy(k -> assertThat(k).startsWith("p:{"));
  }
}
