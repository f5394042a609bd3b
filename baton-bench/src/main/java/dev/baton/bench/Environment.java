package dev.baton.bench;

import dev.baton.BatonClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** Machine, JDK, Redis and client versions, for the head of the report. */
final class Environment {
  private Environment() {}

  static Map<String, Object> collect(RedisProbe probe, String redisUri, boolean privateServer) {
    Map<String, Object> env = new LinkedHashMap<>();
    env.put("machine", machine());
    env.put("jdk", jdk());
    env.put("redis", redis(probe, redisUri, privateServer));
    Map<String, Object> client = new LinkedHashMap<>();
    client.put("baton", version(BatonClient.class, "dev.baton", "baton-core", "development build"));
    client.put("lettuce", version(RedisClient.class, "io.lettuce", "lettuce-core", "unknown"));
    env.put("client", client);
    env.put("started", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    return env;
  }

  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("arch", System.getProperty("os.arch"));
    m.put("cpus", Runtime.getRuntime().availableProcessors());
    m.put("cpuModel", cpuModel());
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      m.put("memoryGiB", Report.round(os.getTotalMemorySize() / (1024.0 * 1024 * 1024), 1));
    }
    m.put("loadAverageAtStart", Report.round(loadAverage(), 2));
    return m;
  }

  /** The one-minute load average, or -1 where the OS does not say. */
  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "unknown";
  }

  private static Map<String, Object> jdk() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", System.getProperty("java.runtime.version"));
    m.put("vendor", System.getProperty("java.vendor"));
    m.put("vm", System.getProperty("java.vm.name"));
    m.put("maxHeapMiB", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    return m;
  }

  private static Map<String, Object> redis(RedisProbe probe, String redisUri, boolean privateServer) {
    Map<String, String> server = probe.server();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", server.getOrDefault("redis_version", "unknown"));
    m.put("mode", server.getOrDefault("redis_mode", "unknown"));
    m.put("os", server.getOrDefault("os", "unknown"));
    RedisURI uri = RedisURI.create(redisUri);
    m.put("address", uri.getHost() + ":" + uri.getPort());
    m.put("server", privateServer ? "private (started for this run: --save \"\" --appendonly no)" : "given by --redis");
    return m;
  }

  /** The version in the jar's Maven metadata (kept by the shaded CLI jar too), else the manifest's. */
  private static String version(Class<?> c, String groupId, String artifactId, String otherwise) {
    String resource = "/META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
    try (InputStream in = c.getResourceAsStream(resource)) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null) {
          return v;
        }
      }
    } catch (IOException e) {
      // fall back to the manifest
    }
    String v = c.getPackage() == null ? null : c.getPackage().getImplementationVersion();
    return v == null ? otherwise : v;
  }
}
