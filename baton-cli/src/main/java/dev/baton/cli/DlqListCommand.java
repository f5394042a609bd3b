package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.TaskInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code baton dlq list}. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "Lists an agent type's dead letters, oldest first.")
final class DlqListCommand implements Callable<Integer> {
  private static final int REASON_CHARS = 100;

  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Option(names = {"-q", "--queue"}, required = true, paramLabel = "AGENT_TYPE", description = "The agent type.")
  String queue;

  @Option(names = "--limit", defaultValue = "50", paramLabel = "N", description = "At most N (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--offset", defaultValue = "0", paramLabel = "N", description = "Skip the N oldest (default: ${DEFAULT-VALUE}).")
  int offset;

  @Option(names = "--json", description = "Print {agentType, total, offset, limit, items: [task, ...]}.")
  boolean json;

  @Override
  public Integer call() {
    Validate.agentType(spec, queue);
    if (limit < 1 || offset < 0) {
      throw new ParameterException(spec.commandLine(), "--limit must be >= 1 and --offset >= 0");
    }
    List<TaskInfo> items;
    long total;
    try (BatonClient client = globals.connect()) {
      items = client.inspector().deadLetters(queue, offset, limit);
      total = client.inspector().deadLetterCount(queue);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("agentType", queue);
      m.put("total", total);
      m.put("offset", offset);
      m.put("limit", limit);
      List<Map<String, Object>> list = new ArrayList<>();
      items.forEach(t -> list.add(TaskView.toMap(t)));
      m.put("items", list);
      Json.print(out, m);
      return ExitCodes.OK;
    }
    Table t = new Table("ID", "ATTEMPTS", "DEAD SINCE", "REASON");
    PrintWriter err = spec.commandLine().getErr();
    int malformed = 0;
    for (TaskInfo task : items) {
      if (task.isMalformed()) {
        malformed++;
        t.row(task.id(), null, null, cut("MALFORMED RECORD: " + task.malformed()));
        continue;
      }
      String reason = task.deadReason() == null ? null : cut(ErrorHandler.oneLine(task.deadReason()));
      t.row(task.id(), task.attempts() + "/" + task.maxAttempts(), TaskView.iso(task.finishedAt()), reason);
    }
    t.print(out);
    for (TaskInfo task : items) {
      if (task.isMalformed()) {
        err.println("baton: dead letter " + Terminal.inert(task.id()) + " of " + queue + " has a malformed record: "
            + ErrorHandler.oneLine(task.malformed()));
      }
    }
    if (malformed > 0) {
      err.println("baton: " + malformed + " malformed record(s) listed; 'baton dlq purge --queue " + queue
          + " ID' deletes one");
    }
    err.println(items.isEmpty()
        ? total + " dead letter(s) in " + queue
        : "dead letters " + (offset + 1) + "-" + (offset + items.size()) + " of " + total + " in " + queue);
    err.flush();
    return ExitCodes.OK;
  }

  private static String cut(String reason) {
    return reason.length() > REASON_CHARS ? reason.substring(0, REASON_CHARS - 3) + "..." : reason;
  }
}
