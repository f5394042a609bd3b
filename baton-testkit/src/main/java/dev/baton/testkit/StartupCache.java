package dev.baton.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A class cache that child JVMs start from, about twice as fast: an ahead-of-time cache on JDK 25+
 * ({@code -XX:AOTCacheOutput}, JEP 514), a dynamic CDS archive on older JDKs ({@code
 * -XX:+AutoCreateSharedArchive}). A JVM killed every few seconds spends most of its life starting,
 * and on a small machine a cold start takes seconds. Only classes from jars are cached, and every
 * JVM that uses the cache must have the training run's class path.
 *
 * @param file the cache
 * @param jvmOptions what a {@link WorkerJvm.Builder} adds to start from it
 */
public record StartupCache(Path file, List<String> jvmOptions) {
  /** Whether every one of {@code classes} was loaded from a jar, so a cache can hold them. */
  public static boolean possible(Class<?>... classes) {
    return Arrays.stream(classes).allMatch(c -> {
      CodeSource src = c.getProtectionDomain().getCodeSource();
      return src != null && src.getLocation().getPath().endsWith(".jar");
    });
  }

  /** The jars of this JVM's class path, in order: directories cannot be cached. */
  public static String jarClassPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(p -> p.endsWith(".jar")).collect(Collectors.joining(File.pathSeparator));
  }

  /**
   * Records a cache in {@code dir} with a training run of {@code training} (this adds the recording
   * options to it): it runs until it prints a stdout line containing {@code ready}, or {@code
   * timeout} passes, and then gets SIGTERM, since the JVM writes the cache at a normal exit.
   *
   * @throws IOException when the training run failed or wrote no cache
   */
  public static StartupCache record(WorkerJvm.Builder training, Path dir, String ready, Duration timeout)
      throws IOException, InterruptedException {
    boolean aot = Runtime.version().feature() >= 25;
    Path cache = dir.resolve(aot ? "worker.aot" : "worker.jsa");
    Files.deleteIfExists(cache);
    training.jvmOptions(aot ? List.of("-XX:AOTCacheOutput=" + cache)
        : List.of("-XX:SharedArchiveFile=" + cache, "-XX:+AutoCreateSharedArchive"));
    try (WorkerJvm jvm = training.start()) {
      long deadline = System.nanoTime() + timeout.toNanos();
      String line;
      do {
        line = jvm.nextLine(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      } while (line != null && !line.contains(ready));
      jvm.terminate();
      if (!jvm.waitFor(timeout)) {
        throw new IOException("the training run did not exit within " + timeout.toSeconds() + " s of SIGTERM");
      }
    }
    if (!Files.exists(cache) || Files.size(cache) == 0) {
      throw new IOException("the training run wrote no " + cache.getFileName());
    }
    return new StartupCache(cache, aot ? List.of("-XX:AOTCache=" + cache) : List.of("-XX:SharedArchiveFile=" + cache));
  }
}
