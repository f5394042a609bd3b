package dev.baton.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** One dead letter by id, or {@code --all}: exactly one of them. */
final class DlqTarget {
  @Parameters(paramLabel = "ID", description = "The task id.")
  String id;

  @Option(names = "--all", required = true, description = "Every dead letter of the agent type.")
  boolean all;
}
