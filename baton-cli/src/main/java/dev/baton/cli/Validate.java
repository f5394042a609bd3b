package dev.baton.cli;

import dev.baton.TaskRequest;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Checks of option values shared by several commands, with the rules of docs/data-model.md (Validation). */
final class Validate {
  private Validate() {}

  /**
   * Checks an agent type given with {@code --queue}, as enqueue does, so that a typo is a usage
   * error (exit 2) and not an empty answer.
   *
   * @throws ParameterException when it does not match {@link TaskRequest#AGENT_TYPE}
   */
  static String agentType(CommandSpec spec, String queue) {
    if (queue == null || !TaskRequest.AGENT_TYPE.matcher(queue).matches()) {
      throw new ParameterException(spec.commandLine(),
          "--queue: must match " + TaskRequest.AGENT_TYPE.pattern() + ", got '" + queue + "'");
    }
    return queue;
  }
}
