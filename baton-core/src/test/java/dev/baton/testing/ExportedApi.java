package dev.baton.testing;

import dev.baton.BatonClient;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks that a module built on baton-core uses only the packages baton-core's module descriptor
 * exports. The other modules run on the class path, where the descriptor is not enforced, so each
 * of them runs this over its own sources in a test.
 */
public final class ExportedApi {
  private static final Pattern BATON_REFERENCE = Pattern.compile("\\bdev\\.baton\\.([a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)*)\\.[A-Z*]");

  private ExportedApi() {}

  /**
   * {@code source} without its comments and string literals: a package named in a log category or a
   * comment is no dependency on it.
   */
  static String code(String source) {
    return source.replaceAll("\"(?:\\\\.|[^\"\\\\\\n])*\"", "\"\"")
        .replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
  }

  /** The packages baton-core exports, read from the compiled {@code module-info.class}. */
  public static Set<String> exportedPackages() {
    try {
      Path location = Path.of(BatonClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      ModuleDescriptor descriptor;
      if (Files.isDirectory(location)) {
        try (InputStream in = Files.newInputStream(location.resolve("module-info.class"))) {
          descriptor = ModuleDescriptor.read(in);
        }
      } else {
        try (JarFile jar = new JarFile(location.toFile()); InputStream in = jar.getInputStream(jar.getEntry("module-info.class"))) {
          descriptor = ModuleDescriptor.read(in);
        }
      }
      Set<String> out = new TreeSet<>();
      descriptor.exports().forEach(e -> {
        if (!e.isQualified()) {
          out.add(e.source());
        }
      });
      return out;
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot read baton-core's module descriptor", e);
    }
  }

  /**
   * Every reference to a {@code dev.baton} package in the Java files under {@code sourceRoots} that
   * is neither exported by baton-core nor one of {@code ownPackages} (a package and its
   * subpackages), as "file: package" lines.
   */
  public static List<String> violations(List<Path> sourceRoots, Set<String> ownPackages) throws IOException {
    Set<String> allowed = exportedPackages();
    List<String> out = new ArrayList<>();
    for (Path root : sourceRoots) {
      if (!Files.isDirectory(root)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
          Matcher m = BATON_REFERENCE.matcher(code(Files.readString(f)));
          while (m.find()) {
            String pkg = "dev.baton." + m.group(1);
            if (!allowed.contains(pkg) && ownPackages.stream().noneMatch(o -> pkg.equals(o) || pkg.startsWith(o + "."))) {
              out.add(root.relativize(f) + ": " + pkg);
            }
          }
        }
      }
    }
    return out;
  }
}
