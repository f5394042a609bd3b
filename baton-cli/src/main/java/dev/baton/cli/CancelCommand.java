package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.TaskState;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code baton cancel ID}. */
@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = {
      "Cancels a task that has not started (scheduled, queued, retrying or parked) and prints its resulting state.",
      "Exits 1 if the task cannot be cancelled in its state (running, succeeded, dead), 4 if there is no such task."
    })
final class CancelCommand implements Callable<Integer> {
  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "ID", description = "The task id.")
  String id;

  @Override
  public Integer call() {
    TaskState state;
    try (BatonClient client = globals.connect()) {
      state = client.dispatcher().cancel(id);
    }
    spec.commandLine().getOut().println(state.wireName());
    spec.commandLine().getOut().flush();
    if (state != TaskState.CANCELLED) {
      throw new CliException(ExitCodes.SOFTWARE, "task " + id + " cannot be cancelled: it is " + state.wireName());
    }
    return ExitCodes.OK;
  }
}
