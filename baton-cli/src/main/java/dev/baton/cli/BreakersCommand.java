package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.resilience.BreakerInfo;
import dev.baton.resilience.LimitUsage;
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

/** {@code baton breakers}: the circuit breaker and the limits of every registered dependency. */
@Command(
    name = "breakers",
    mixinStandardHelpOptions = true,
    description = {
      "Shows the circuit breaker of every dependency a worker registered.",
      "Columns: state (closed, open, half_open), failure and slow-call rates over the calls in the "
          + "sliding window, probes in flight (half_open), tasks parked waiting for the dependency "
          + "(all agent types), and the time left in open.",
      "Then the fleet-wide limits in use (rate limits: units used in the current window; "
          + "concurrency limits: permits held), one row per limit and key."
    })
final class BreakersCommand implements Callable<Integer> {
  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print {\"breakers\": [...], \"limits\": [...]}.")
  boolean json;

  @Override
  public Integer call() {
    List<BreakerInfo> breakers;
    List<LimitUsage> limits;
    try (BatonClient client = globals.connect()) {
      breakers = client.inspector().breakers();
      limits = client.inspector().limitUsage();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> all = new LinkedHashMap<>();
      all.put("breakers", toMaps(breakers));
      all.put("limits", limitMaps(limits));
      Json.print(out, all);
    } else {
      print(out, breakers);
      if (!limits.isEmpty()) {
        out.println();
        printLimits(out, limits);
      }
      reportMalformed(spec.commandLine().getErr(), breakers, limits);
    }
    return ExitCodes.OK;
  }

  static List<Map<String, Object>> limitMaps(List<LimitUsage> limits) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (LimitUsage u : limits) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("limit", u.limit());
      if (u.isMalformed()) {
        // no figures: zeros would read as an idle limit
        m.put("kind", u.kind().name().toLowerCase(Locale.ROOT));
        m.put("malformed", u.malformed());
        rows.add(m);
        continue;
      }
      m.put("key", u.key());
      m.put("kind", u.kind().name().toLowerCase(Locale.ROOT));
      m.put("used", u.used());
      m.put("max", u.max());
      m.put("at", u.at().toString());
      rows.add(m);
    }
    return rows;
  }

  /** Rate limits: units used in the current window of the budget; concurrency: permits held. */
  static void printLimits(PrintWriter out, List<LimitUsage> limits) {
    Table t = new Table("LIMIT", "KEY", "KIND", "USED", "MAX", "FILL%");
    for (LimitUsage u : limits) {
      if (u.isMalformed()) {
        t.row(u.limit(), null, u.kind().name().toLowerCase(Locale.ROOT), null, null, null);
      } else {
        t.row(u.limit(), u.key(), u.kind().name().toLowerCase(Locale.ROOT), u.used(), u.max(),
            round(u.max() == 0 ? 0 : 100.0 * u.used() / u.max()));
      }
    }
    t.print(out);
  }

  /** One line on standard error per breaker or limit listed as malformed (its row shows dashes). */
  static void reportMalformed(PrintWriter err, List<BreakerInfo> breakers, List<LimitUsage> limits) {
    for (BreakerInfo b : breakers) {
      if (b.isMalformed()) {
        err.println("baton: breaker of dependency " + Terminal.inert(b.dependency()) + " is malformed: "
            + ErrorHandler.oneLine(b.malformed()));
      }
    }
    for (LimitUsage u : limits) {
      if (u.isMalformed()) {
        err.println("baton: limit " + Terminal.inert(u.limit()) + " cannot be read: "
            + ErrorHandler.oneLine(u.malformed()));
      }
    }
    err.flush();
  }

  static List<Map<String, Object>> toMaps(List<BreakerInfo> breakers) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (BreakerInfo b : breakers) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("dependency", b.dependency());
      if (b.isMalformed()) {
        // no figures: zeros would read as a healthy closed breaker
        m.put("malformed", b.malformed());
        rows.add(m);
        continue;
      }
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
      if (b.isMalformed()) {
        t.row(b.dependency(), "malformed", null, null, null, null, b.parked(), null);
        continue;
      }
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
