package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.BreakerInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code baton breakers}: the circuit breaker of every registered dependency. */
@Command(
    name = "breakers",
    mixinStandardHelpOptions = true,
    description = {
      "Shows the circuit breaker of every dependency a worker registered.",
      "Columns: state (closed, open, half_open), failure and slow-call rates over the calls in the "
          + "sliding window, probes in flight (half_open), tasks parked waiting for the dependency "
          + "(all agent types), and the time left in open."
    })
final class BreakersCommand implements Callable<Integer> {
  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print a JSON array, one object per dependency.")
  boolean json;

  @Override
  public Integer call() {
    List<BreakerInfo> breakers;
    try (BatonClient client = globals.connect()) {
      breakers = client.inspector().breakers();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Json.print(out, toMaps(breakers));
    } else {
      print(out, breakers);
    }
    return ExitCodes.OK;
  }

  static List<Map<String, Object>> toMaps(List<BreakerInfo> breakers) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (BreakerInfo b : breakers) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("dependency", b.dependency());
      m.put("state", b.state().wireName());
      m.put("generation", b.generation());
      m.put("since", b.since().toEpochMilli() == 0 ? null : b.since().toString());
      m.put("openRemainingMs", b.openRemaining().toMillis());
      m.put("callsInWindow", b.callsInWindow());
      m.put("failureRate", round(b.failureRate()));
      m.put("slowCallRate", round(b.slowCallRate()));
      m.put("probesInFlight", b.probesInFlight());
      m.put("probeSuccesses", b.probeSuccesses());
      m.put("parked", b.parked());
      rows.add(m);
    }
    return rows;
  }

  /** The table, or nothing when no dependency is registered. */
  static void print(PrintWriter out, List<BreakerInfo> breakers) {
    Table t = new Table("DEPENDENCY", "STATE", "CALLS", "FAILURE%", "SLOW%", "PROBES", "PARKED", "OPEN FOR");
    for (BreakerInfo b : breakers) {
      long left = b.openRemaining().toMillis();
      t.row(b.dependency(), b.state().wireName(), b.callsInWindow(), round(b.failureRate()), round(b.slowCallRate()),
          b.probesInFlight(), b.parked(), left > 0 ? String.format(Locale.ROOT, "%.1fs", left / 1000.0) : "-");
    }
    t.print(out);
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
