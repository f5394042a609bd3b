package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.BatonConfig;
import dev.baton.BatonException;
import dev.baton.RedisConfigurationException;
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

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  /** Where the parsed values live: one instance per command line, on the root command. */
  static final class Values {
    String redis;
    String prefix;
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

  /** Validated settings; a bad URL or prefix is a usage error (exit 2). */
  public BatonConfig config() {
    try {
      return BatonConfig.builder().redisUri(redisUrl()).keyPrefix(prefix()).build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(mixee.commandLine(), e.getMessage(), e);
    }
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
