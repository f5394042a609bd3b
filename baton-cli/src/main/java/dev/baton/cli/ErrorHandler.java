package dev.baton.cli;

import dev.baton.BatonException;
import dev.baton.InvalidTaskException;
import dev.baton.RedisConfigurationException;
import dev.baton.TaskNotFoundException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IExitCodeExceptionMapper;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every failure into a one-line message on stderr and an exit code (see {@link ExitCodes}).
 * Stack traces only with {@code --verbose}.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IExitCodeExceptionMapper, IParameterExceptionHandler {

  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
    PrintWriter err = cmd.getErr();
    err.println(cmd.getColorScheme().errorText("baton: " + message(ex)));
    if (GlobalOptions.verbose(cmd.getCommandSpec())) {
      ex.printStackTrace(err);
    }
    err.flush();
    return getExitCode(ex);
  }

  @Override
  public int handleParseException(ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    String message = oneLine(ex.getMessage());
    if (message.startsWith("Error: ")) {
      message = message.substring("Error: ".length());
    }
    err.println(cmd.getColorScheme().errorText("baton: " + message));
    if (GlobalOptions.verbose(cmd.getCommandSpec())) {
      ex.printStackTrace(err);
    }
    UnmatchedArgumentException.printSuggestions(ex, err);
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
    err.flush();
    return ExitCodes.USAGE;
  }

  @Override
  public int getExitCode(Throwable t) {
    if (t instanceof CliException c) {
      return c.exitCode();
    }
    if (t instanceof ParameterException || t instanceof InvalidTaskException) {
      return ExitCodes.USAGE;
    }
    if (t instanceof TaskNotFoundException) {
      return ExitCodes.NOT_FOUND;
    }
    // before the unreachable check: a refused handshake also carries a connection exception
    if (redisRefused(t)) {
      return ExitCodes.REDIS_CONFIGURATION;
    }
    if (redisUnavailable(t)) {
      return ExitCodes.REDIS_UNREACHABLE;
    }
    return ExitCodes.SOFTWARE;
  }

  /**
   * Whether {@code t} says Redis is down or not answering: core's {@link
   * dev.baton.RedisUnavailableException}, or a connection failure from a path that does not wrap it.
   */
  static boolean redisUnavailable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ConnectException
          || c instanceof ClosedChannelException
          || c instanceof io.lettuce.core.RedisConnectionException
          || c instanceof io.lettuce.core.RedisCommandTimeoutException) {
        return true;
      }
      if (c instanceof dev.baton.RedisUnavailableException) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code t} (or a cause) is core's {@link RedisConfigurationException}. */
  static boolean redisRefused(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof RedisConfigurationException) {
        return true;
      }
    }
    return false;
  }

  static String message(Throwable t) {
    if (t instanceof CliException || t instanceof BatonException) {
      return oneLine(t.getMessage());
    }
    String m = t.getMessage();
    String name = t.getClass().getSimpleName();
    return oneLine(m == null || m.isBlank() ? name : name + ": " + m);
  }

  /**
   * Collapses line breaks so an error is always one line, and escapes the other control characters
   * ({@link Terminal#inert}): messages may quote handler output, payloads or arguments.
   */
  static String oneLine(String s) {
    if (s == null) {
      return "unknown error";
    }
    return Terminal.inert(s.strip().replaceAll("\\s*[\\r\\n]+\\s*", " "));
  }
}
