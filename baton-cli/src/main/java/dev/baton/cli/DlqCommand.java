package dev.baton.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code baton dlq}: the dead-letter queues. */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    description = {
      "Lists, shows, replays and purges dead letters.",
      "Dead letters are tasks that failed permanently or ran out of attempts."
    },
    subcommands = {DlqListCommand.class, DlqShowCommand.class, DlqReplayCommand.class, DlqPurgeCommand.class})
final class DlqCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing required subcommand: list, show, replay or purge");
  }
}
