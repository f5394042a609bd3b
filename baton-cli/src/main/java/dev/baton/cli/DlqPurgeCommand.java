package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.TaskInfo;
import dev.baton.TaskNotFoundException;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code baton dlq purge}. */
@Command(
    name = "purge",
    mixinStandardHelpOptions = true,
    description = {
      "Deletes dead letters and their records for good.",
      "With ID, prints the id (exits 1 if the task is not dead, 4 if there is no such task in the queue); "
          + "with --all, prints how many were deleted."
    })
final class DlqPurgeCommand implements Callable<Integer> {
  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Option(names = {"-q", "--queue"}, required = true, paramLabel = "AGENT_TYPE", description = "The agent type.")
  String queue;

  @ArgGroup(exclusive = true, multiplicity = "1")
  DlqTarget target;

  @Override
  public Integer call() {
    Validate.agentType(spec, queue);
    PrintWriter out = spec.commandLine().getOut();
    try (BatonClient client = globals.connect()) {
      if (target.all) {
        out.println(client.inspector().purgeAll(queue));
      } else if (client.inspector().purge(queue, target.id)) {
        out.println(target.id);
      } else {
        Optional<TaskInfo> task = client.inspector().task(queue, target.id);
        if (task.isEmpty()) {
          throw new TaskNotFoundException(target.id);
        }
        throw new CliException(ExitCodes.SOFTWARE,
            "task " + target.id + " is not dead (state: " + task.get().state().wireName() + ")");
      }
    }
    out.flush();
    return ExitCodes.OK;
  }
}
