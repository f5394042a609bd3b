package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.TaskInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code baton status ID}: one task's record. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Shows a task.",
      "State, agent type, attempts, timestamps, last error, dead reason and result. Exits 4 if there is no such task."
    })
final class StatusCommand implements Callable<Integer> {
  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "The task id.")
  String id;

  @Option(names = "--json", description = "Print the record as JSON, with payload, result and every attempt.")
  boolean json;

  @Override
  public Integer call() {
    try (BatonClient client = globals.connect()) {
      TaskInfo task = client.inspector().task(id);
      if (json) {
        Json.print(spec.commandLine().getOut(), TaskView.toMap(task));
      } else {
        TaskView.print(spec.commandLine().getOut(), task, false);
      }
    }
    return ExitCodes.OK;
  }
}
