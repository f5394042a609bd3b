package dev.baton.cli;

import java.util.Map;
import java.util.Objects;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code baton} executable. Results go to stdout, logs and errors to stderr; exit codes are
 * listed in {@link ExitCodes}.
 */
@Command(
    name = "baton",
    mixinStandardHelpOptions = true,
    versionProvider = BatonCli.Version.class,
    description = "Enqueue, run and inspect Baton tasks on Redis Streams.",
    // New verbs are added here (the demo command goes into this list).
    subcommands = {
      EnqueueCommand.class,
      WorkerCommand.class,
      StatusCommand.class,
      StatsCommand.class,
      BreakersCommand.class,
      DlqCommand.class,
      CancelCommand.class,
      dev.baton.cli.demo.DemoCommand.class,
      dev.baton.bench.BenchCommand.class,
      AutoComplete.GenerateCompletion.class,
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:ok",
      "1:software or runtime error",
      "2:usage error (bad option, invalid payload)",
      "3:Redis unreachable",
      "4:task not found",
      "5:Redis configuration (credentials, permissions, TLS, database index)",
    })
public final class BatonCli implements Runnable {
  /** The options given on the command line, before or after the verb; read through {@link GlobalOptions}. */
  final GlobalOptions.Values globals = new GlobalOptions.Values();

  private final Map<String, String> env;

  @Mixin GlobalOptions options;

  @Spec CommandSpec spec;

  /** Reads {@code REDIS_URL} and {@code BATON_PREFIX} from the process environment. */
  public BatonCli() {
    this(System.getenv());
  }

  /** Reads the environment defaults from {@code env} (for tests and embedding). */
  public BatonCli(Map<String, String> env) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
  }

  Map<String, String> env() {
    return env;
  }

  /**
   * A command line with Baton's error handling and exit codes; call {@code execute(args)} on it.
   * picocli's {@code @file} expansion is off: an argument starting with {@code @} is taken as it is,
   * so {@code --payload @/etc/passwd} is the text "@/etc/passwd" (not JSON, exit 2, the file unread),
   * and no file can add options such as {@code --redis}.
   */
  public static CommandLine commandLine(BatonCli cli) {
    ErrorHandler errors = new ErrorHandler();
    return new CommandLine(cli)
        .setExpandAtFiles(false)
        .setExecutionExceptionHandler(errors)
        .setExitCodeExceptionMapper(errors)
        .setParameterExceptionHandler(errors);
  }

  public static void main(String[] args) {
    int code;
    try {
      code = commandLine(new BatonCli()).execute(args);
    } catch (Throwable t) {
      // an Error (out of memory, stack overflow) passes picocli's handlers: still one line, no trace
      System.err.println("baton: " + ErrorHandler.message(t));
      if (java.util.Arrays.asList(args).contains("--verbose")) {
        t.printStackTrace();
      }
      code = ExitCodes.SOFTWARE;
    }
    System.exit(code);
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing required subcommand");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = BatonCli.class.getPackage().getImplementationVersion();
      return new String[] {"baton " + (v == null ? "(development build)" : v),
          "Java ${java.version} (${java.vendor})"};
    }
  }
}
