package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.TaskInfo;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code baton dlq replay}. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Puts dead letters back on their queue with a fresh attempt budget; their history is kept.",
      "With ID, prints the id (exits 1 if the task is not dead, 4 if there is no such task in the queue); "
          + "with --all, prints how many were replayed."
    })
final class DlqReplayCommand implements Callable<Integer> {
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
        out.println(client.inspector().replayAll(queue));
      } else if (client.inspector().replay(queue, target.id)) {
        out.println(target.id);
      } else {
        String state = client.inspector().task(queue, target.id).map(TaskInfo::state).map(s -> s.wireName()).orElse("gone");
        throw new CliException(ExitCodes.SOFTWARE, "task " + target.id + " is not dead (state: " + state + ")");
      }
    }
    out.flush();
    return ExitCodes.OK;
  }
}
