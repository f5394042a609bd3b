package dev.baton.chaos;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the runner launches {@link ChaosWorker} JVMs. A worker killed every few seconds spends most
 * of its life starting, and on 2 shared cores a cold start takes 2-7 s, which would dominate the
 * redelivery figures. So, when the worker's classes all come from jars, one training run first
 * records an ahead-of-time cache (JDK 25+: {@code -XX:AOTCacheOutput}, JEP 514) or a CDS archive
 * (older JDKs: {@code -XX:+AutoCreateSharedArchive}) that every worker then starts from, about
 * twice as fast. Any failure there only costs the speed-up.
 */
final class WorkerJvm {
  private final List<String> prefix;

  private WorkerJvm(List<String> prefix) {
    this.prefix = prefix;
  }

  /** The command for a worker with these {@link ChaosWorker} arguments. */
  List<String> command(List<String> args) {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(ChaosWorker.class.getName());
    cmd.addAll(args);
    return cmd;
  }

  /** Prepares the start-up cache with a training run against {@code redisUri}, under a throw-away prefix. */
  static WorkerJvm prepare(Path dir, String redisUri) {
    List<String> base = List.of(javaBinary(), "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
    String fullPath = System.getProperty("java.class.path");
    List<String> jars = Arrays.stream(fullPath.split(File.pathSeparator)).filter(p -> p.endsWith(".jar")).toList();
    boolean fromJars = fromJar(ChaosWorker.class) && fromJar(dev.baton.Worker.class);
    if (!fromJars || Boolean.getBoolean("chaos.noStartupCache")) {
      return new WorkerJvm(concat(base, List.of("-cp", fullPath)));
    }
    String cp = String.join(File.pathSeparator, jars);
    boolean aot = Runtime.version().feature() >= 25;
    Path cache = dir.resolve(aot ? "worker.aot" : "worker.jsa");
    List<String> record = aot ? List.of("-XX:AOTCacheOutput=" + cache)
        : List.of("-XX:SharedArchiveFile=" + cache, "-XX:+AutoCreateSharedArchive");
    List<String> use = aot ? List.of("-XX:AOTCache=" + cache) : List.of("-XX:SharedArchiveFile=" + cache);
    try {
      Files.deleteIfExists(cache);
      Path out = dir.resolve("worker-training.log");
      List<String> train = concat(concat(base, record), List.of("-cp", cp, ChaosWorker.class.getName(),
          "--redis", redisUri, "--prefix", "chaos-training", "--queue", "training", "--consumer", "training",
          "--history", dir.resolve("training-history.log").toString(), "--concurrency", "1", "--lease-ms", "2000",
          "--recover-ms", "1000"));
      Process p = new ProcessBuilder(train).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (p.isAlive() && System.nanoTime() < deadline && !Files.readString(out).contains("READY")) {
        Thread.sleep(50);
      }
      p.destroy(); // SIGTERM: a normal exit, which writes the cache
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      if (Files.size(cache) > 0) {
        ChaosRun.log("workers start from " + cache.getFileName() + " (" + Files.size(cache) / (1024 * 1024) + " MB)");
        return new WorkerJvm(concat(concat(base, use), List.of("-cp", cp)));
      }
    } catch (Exception e) {
      ChaosRun.log("no start-up cache for workers (" + e + "); they start cold");
    }
    return new WorkerJvm(concat(base, List.of("-cp", fullPath)));
  }

  private static boolean fromJar(Class<?> c) {
    var src = c.getProtectionDomain().getCodeSource();
    return src != null && src.getLocation().getPath().endsWith(".jar");
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> l = new ArrayList<>(a);
    l.addAll(b);
    return l;
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
  }
}
