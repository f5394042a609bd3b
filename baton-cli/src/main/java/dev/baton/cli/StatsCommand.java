package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.QueueStats;
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
import picocli.CommandLine.Spec;

/** {@code baton stats}: counts per agent type. */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    description = {
      "Shows task counts per agent type.",
      "Columns: queued (waiting for a worker), running, delayed (scheduled or waiting to retry), "
          + "succeeded (since the queue was created) and dead (in the dead-letter queue now).",
      "Then, when workers registered dependencies, their circuit breakers (as baton breakers).",
      "Then the limits in use (as baton breakers).",
      "An agent type whose keys cannot be read (a counter that is not an integer, a key of the wrong type) "
          + "shows '-' in every column and is named on stderr with the reason; the others are shown as usual.",
      "--json adds cancelled, retried and enqueued, and the breakers and limits: "
          + "{\"queues\": [...], \"breakers\": [...], \"limits\": [...]}."
    })
final class StatsCommand implements Callable<Integer> {
  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print {\"queues\": [...], \"breakers\": [...], \"limits\": [...]}.")
  boolean json;

  @Override
  public Integer call() {
    List<QueueStats> stats;
    List<dev.baton.resilience.BreakerInfo> breakers;
    List<dev.baton.resilience.LimitUsage> limits;
    try (BatonClient client = globals.connect()) {
      stats = client.inspector().stats();
      breakers = client.inspector().breakers();
      limits = client.inspector().limitUsage();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (QueueStats s : stats) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("agentType", s.agentType());
        if (s.isMalformed()) {
          // no counts: zeros would read as an empty queue
          m.put("malformed", s.malformed());
          rows.add(m);
          continue;
        }
        m.put("queued", s.queued());
        m.put("running", s.running());
        m.put("delayed", s.delayed());
        m.put("succeeded", s.succeeded());
        m.put("dead", s.dead());
        m.put("parked", s.parked());
        m.put("cancelled", s.cancelled());
        m.put("retried", s.retried());
        m.put("enqueued", s.enqueued());
        rows.add(m);
      }
      Map<String, Object> all = new LinkedHashMap<>();
      all.put("queues", rows);
      all.put("breakers", BreakersCommand.toMaps(breakers));
      all.put("limits", BreakersCommand.limitMaps(limits));
      Json.print(out, all);
      return ExitCodes.OK;
    }
    Table t = new Table("AGENT TYPE", "QUEUED", "RUNNING", "DELAYED", "PARKED", "SUCCEEDED", "DEAD");
    for (QueueStats s : stats) {
      if (s.isMalformed()) {
        t.row(s.agentType(), null, null, null, null, null, null);
      } else {
        t.row(s.agentType(), s.queued(), s.running(), s.delayed(), s.parked(), s.succeeded(), s.dead());
      }
    }
    t.print(out);
    PrintWriter err = spec.commandLine().getErr();
    for (QueueStats s : stats) {
      if (s.isMalformed()) {
        err.println("baton: agent type " + Terminal.inert(s.agentType()) + " skipped, its keys cannot be read: "
            + ErrorHandler.oneLine(s.malformed()));
      }
    }
    err.flush();
    if (!breakers.isEmpty()) {
      out.println();
      BreakersCommand.print(out, breakers);
    }
    if (!limits.isEmpty()) {
      out.println();
      BreakersCommand.printLimits(out, limits);
    }
    BreakersCommand.reportMalformed(err, breakers, limits);
    return ExitCodes.OK;
  }
}
