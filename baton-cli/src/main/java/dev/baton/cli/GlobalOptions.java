package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.BatonException;
import dev.baton.RedisConfigurationException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --redis}, {@code --prefix} and {@code --verbose}, mixed into every command so they may be
 * given before or after the verb ({@code baton --redis URL stats} and {@code baton stats --redis URL}).
 *
 * <p>The setters store the values on the root {@link BatonCli}, so whichever command parsed them,
 * every command sees the same values. Environment defaults ({@code REDIS_URL}, {@code BATON_PREFIX})
 * are resolved when a client is made, not through picocli default values: picocli applies an
 * option's default once per parsed command, which would overwrite a value given before the verb.
 */
public final class GlobalOptions {
  public static final String ENV_REDIS_URL = "REDIS_URL";
  public static final String ENV_PREFIX = "BATON_PREFIX";
  /** The Redis password, when it is not in the URL; never passed on to {@code --exec} commands. */
  public static final String ENV_REDIS_PASSWORD = "BATON_REDIS_PASSWORD";
  /** A PEM file of the certificate authorities to trust for a {@code rediss://} server. */
  public static final String ENV_REDIS_CA_FILE = "BATON_REDIS_CA_FILE";

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  /** Where the parsed values live: one instance per command line, on the root command. */
  static final class Values {
    String redis;
    String prefix;
    Path passwordFile;
    Path caFile;
    boolean verbose;
  }

  private final Values own = new Values();

  @Option(
      names = "--redis",
      paramLabel = "URL",
      description = "Redis URL, redis://[user:password@]host:port[/db] or rediss:// for TLS "
          + "(env REDIS_URL, default " + BatonConfig.DEFAULT_REDIS_URI + ").")
  void setRedis(String url) {
    if (url != null) {
      values().redis = url;
    }
  }

  @Option(
      names = "--redis-password-file",
      paramLabel = "FILE",
      description = "Read the Redis password from the first line of FILE, so that it is on no command line "
          + "(env BATON_REDIS_PASSWORD gives it directly). The URL must then hold no password.")
  void setRedisPasswordFile(Path file) {
    if (file != null) {
      valuesOrOwn().passwordFile = file;
    }
  }

  @Option(
      names = "--redis-ca-file",
      paramLabel = "FILE",
      description = "For a rediss:// URL: trust the certificate authorities in this PEM file for the server's "
          + "certificate, instead of the JVM's default trust store (env BATON_REDIS_CA_FILE).")
  void setRedisCaFile(Path file) {
    if (file != null) {
      valuesOrOwn().caFile = file;
    }
  }

  @Option(
      names = "--prefix",
      paramLabel = "PREFIX",
      description = "First segment of every Redis key (env BATON_PREFIX, default " + BatonConfig.DEFAULT_KEY_PREFIX
          + ").")
  void setPrefix(String prefix) {
    if (prefix != null) {
      values().prefix = prefix;
    }
  }

  @Option(names = "--verbose", description = "Print stack traces with errors.")
  void setVerbose(boolean verbose) {
    if (verbose) {
      values().verbose = true;
    }
  }

  private Values values() {
    return values(mixee);
  }

  private static Values values(CommandSpec spec) {
    if (spec != null && spec.root().userObject() instanceof BatonCli cli) {
      return cli.globals;
    }
    return null;
  }

  private Map<String, String> env() {
    if (mixee != null && mixee.root().userObject() instanceof BatonCli cli) {
      return cli.env();
    }
    return System.getenv();
  }

  /** True when {@code --verbose} was given anywhere on the command line of {@code spec}. */
  static boolean verbose(CommandSpec spec) {
    Values v = values(spec);
    return v != null && v.verbose;
  }

  /** The CA file: {@code --redis-ca-file}, else {@code BATON_REDIS_CA_FILE}, else none. */
  Path caFile() {
    Path file = valuesOrOwn().caFile;
    if (file != null) {
      return file;
    }
    String env = env().get(ENV_REDIS_CA_FILE);
    return env == null || env.isBlank() ? null : Path.of(env.trim());
  }

  /** The Redis URL: {@code --redis}, else {@code REDIS_URL}, else the default. */
  public String redisUrl() {
    Values v = valuesOrOwn();
    if (v.redis != null) {
      return v.redis;
    }
    String env = env().get(ENV_REDIS_URL);
    return env == null || env.isBlank() ? BatonConfig.DEFAULT_REDIS_URI : env.trim();
  }

  /** The key prefix: {@code --prefix}, else {@code BATON_PREFIX}, else the default. */
  public String prefix() {
    Values v = valuesOrOwn();
    if (v.prefix != null) {
      return v.prefix;
    }
    String env = env().get(ENV_PREFIX);
    return env == null || env.isBlank() ? BatonConfig.DEFAULT_KEY_PREFIX : env.trim();
  }

  private Values valuesOrOwn() {
    Values v = values();
    return v == null ? own : v;
  }

  /**
   * The Redis password given apart from the URL: the first line of {@code --redis-password-file},
   * else {@code BATON_REDIS_PASSWORD}; null when neither is given.
   */
  String redisPassword() {
    Path file = valuesOrOwn().passwordFile;
    if (file != null) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException | UncheckedIOException e) {
        throw usage("cannot read --redis-password-file " + file + ": " + e);
      }
      String line = text.lines().findFirst().orElse("");
      if (line.isEmpty()) {
        throw usage("--redis-password-file " + file + " is empty: its first line is the password");
      }
      return line;
    }
    String env = env().get(ENV_REDIS_PASSWORD);
    return env == null || env.isEmpty() ? null : env;
  }

  /** Validated settings; a bad URL or prefix is a usage error (exit 2). */
  public BatonConfig config() {
    String url = redisUrl();
    String password = redisPassword();
    if (password != null) {
      url = withPassword(url, password);
    }
    try {
      return BatonConfig.builder().redisUri(url).keyPrefix(prefix()).redisCaFile(caFile()).build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(mixee.commandLine(), password == null ? e.getMessage()
          : "invalid Redis URL " + redisUrl() + " (with the password from --redis-password-file or "
              + ENV_REDIS_PASSWORD + ")", e);
    }
  }

  /**
   * {@code url} with {@code password} in its user info (percent-encoded), keeping a user name it
   * has. The password lives only in this process's memory: never on a command line.
   */
  String withPassword(String url, String password) {
    int scheme = url.indexOf("://");
    if (scheme < 0) {
      throw usage("a Redis password from --redis-password-file or " + ENV_REDIS_PASSWORD
          + " needs a redis:// or rediss:// URL, got " + url);
    }
    int start = scheme + 3;
    int end = start;
    while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) {
      end++;
    }
    String authority = url.substring(start, end);
    int at = authority.lastIndexOf('@');
    String user = at < 0 ? "" : authority.substring(0, at);
    String host = at < 0 ? authority : authority.substring(at + 1);
    if (user.contains(":")) {
      throw usage("the Redis URL already holds a password: give it either in the URL or with "
          + "--redis-password-file / " + ENV_REDIS_PASSWORD + ", not both");
    }
    if (host.isEmpty()) {
      throw usage("a Redis password from --redis-password-file or " + ENV_REDIS_PASSWORD
          + " needs a URL with a host, got " + url);
    }
    return url.substring(0, start) + user + ":" + percentEncode(password) + "@" + host + url.substring(end);
  }

  /** Every byte of the UTF-8 form that is not an RFC 3986 unreserved character, as %XX. */
  static String percentEncode(String s) {
    StringBuilder b = new StringBuilder();
    for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }

  private ParameterException usage(String message) {
    return new ParameterException(mixee.commandLine(), message);
  }

  /**
   * Connects to Redis. The caller closes the client.
   *
   * @throws CliException with {@link ExitCodes#REDIS_UNREACHABLE} when Redis cannot be reached, and
   *     with {@link ExitCodes#REDIS_CONFIGURATION} when it refuses the credentials or permissions
   */
  public BatonClient connect() {
    BatonConfig config = config();
    try {
      return BatonClient.connect(config);
    } catch (RedisConfigurationException e) {
      throw new CliException(ExitCodes.REDIS_CONFIGURATION, e.getMessage(), e);
    } catch (BatonException e) {
      throw new CliException(ExitCodes.REDIS_UNREACHABLE, e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      // the Redis client rejected the URL (e.g. no host, bad port)
      throw new ParameterException(mixee.commandLine(), "invalid --redis URL: " + e.getMessage(), e);
    }
  }
}
