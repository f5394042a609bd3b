package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.TaskInfo;
import dev.baton.TaskState;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code baton dlq show ID}. */
@Command(
    name = "show",
    mixinStandardHelpOptions = true,
    description = "Shows a dead letter with every attempt and the last stack excerpt. Exits 4 unless the task is dead.")
final class DlqShowCommand implements Callable<Integer> {
  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "The task id.")
  String id;

  @Option(names = "--json", description = "Print the record as JSON.")
  boolean json;

  @Override
  public Integer call() {
    TaskInfo task;
    try (BatonClient client = globals.connect()) {
      task = client.inspector().task(id);
    }
    if (task.state() != TaskState.DEAD) {
      throw new CliException(ExitCodes.NOT_FOUND, "task " + id + " is not a dead letter (state: " + task.state().wireName() + ")");
    }
    if (json) {
      Json.print(spec.commandLine().getOut(), TaskView.toMap(task));
    } else {
      TaskView.print(spec.commandLine().getOut(), task, true);
    }
    return ExitCodes.OK;
  }
}
