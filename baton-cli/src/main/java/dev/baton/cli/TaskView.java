package dev.baton.cli;

import dev.baton.TaskError;
import dev.baton.TaskInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Renders a {@link TaskInfo} as JSON-ready maps or as aligned text. Every text value goes through
 * {@link Terminal#inert}: payloads, results, error messages and stacks come from producers and
 * handlers, and must not drive the terminal or forge lines.
 */
final class TaskView {
  private static final int PAYLOAD_PREVIEW_CHARS = 500;

  private TaskView() {}

  static Map<String, Object> toMap(TaskInfo t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", t.id());
    m.put("agentType", t.agentType());
    m.put("state", t.state().wireName());
    m.put("attempts", t.attempts());
    m.put("maxAttempts", t.maxAttempts());
    m.put("deliveries", t.deliveries());
    m.put("createdAt", iso(t.createdAt()));
    m.put("scheduledAt", iso(t.scheduledAt()));
    m.put("startedAt", iso(t.startedAt()));
    m.put("finishedAt", iso(t.finishedAt()));
    m.put("headers", new LinkedHashMap<>(t.headers()));
    m.put("payload", Json.tree(t.payloadJson()));
    m.put("result", Json.tree(t.resultJson()));
    m.put("lastError", t.lastError() == null ? null : attempt(t.lastError()));
    m.put("deadReason", t.deadReason());
    m.put("waitingFor", t.waitingFor());
    m.put("parkedReason", t.parkedReason());
    List<Map<String, Object>> history = new ArrayList<>();
    t.history().forEach(a -> history.add(attempt(a)));
    m.put("history", history);
    if (t.isMalformed()) {
      m.put("malformed", t.malformed());
    }
    return m;
  }

  static Map<String, Object> attempt(TaskError e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("attempt", e.attempt());
    m.put("worker", e.worker());
    m.put("startedAt", iso(e.startedAt()));
    m.put("finishedAt", iso(e.finishedAt()));
    m.put("succeeded", e.succeeded());
    m.put("errorClass", e.errorClass());
    m.put("message", e.message());
    m.put("stack", e.stack());
    return m;
  }

  /** The record as {@code key: value} lines; with {@code details}, every attempt and the last stack excerpt. */
  static void print(PrintWriter out, TaskInfo t, boolean details) {
    line(out, "id", t.id());
    if (t.isMalformed()) {
      line(out, "MALFORMED", t.malformed());
    }
    line(out, "agent type", t.agentType());
    line(out, "state", t.state().wireName());
    line(out, "attempts", t.attempts() + "/" + t.maxAttempts() + " (deliveries: " + t.deliveries() + ")");
    line(out, "created", iso(t.createdAt()));
    line(out, "scheduled", iso(t.scheduledAt()));
    line(out, "started", iso(t.startedAt()));
    line(out, "finished", iso(t.finishedAt()));
    if (!t.headers().isEmpty()) {
      line(out, "headers", t.headers().entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue())
          .sorted()
          .collect(Collectors.joining(", ")));
    }
    if (t.lastError() != null) {
      line(out, "last error", describe(t.lastError()));
    }
    if (t.deadReason() != null) {
      line(out, "dead reason", t.deadReason());
    }
    if (t.waitingFor() != null) {
      line(out, "waiting for", t.waitingFor() + " (" + t.parkedReason() + ")");
    }
    if (t.resultJson() != null) {
      line(out, "result", t.resultJson());
    }
    if (t.payloadJson() != null) {
      String p = t.payloadJson();
      line(out, "payload", details || p.length() <= PAYLOAD_PREVIEW_CHARS ? p
          : p.substring(0, PAYLOAD_PREVIEW_CHARS) + "... (" + p.length() + " chars; --json shows all)");
    }
    if (details && !t.history().isEmpty()) {
      out.println("history:");
      for (TaskError e : t.history()) {
        out.println("  " + Terminal.inert(describe(e)));
      }
      if (t.lastError() != null && t.lastError().stack() != null) {
        out.println("last stack:");
        t.lastError().stack().lines().forEach(l -> out.println("  " + Terminal.inert(l)));
      }
    }
    out.flush();
  }

  static String describe(TaskError e) {
    String head = "attempt " + e.attempt() + " on " + e.worker() + " at " + iso(e.finishedAt()) + ": ";
    if (e.succeeded()) {
      return head + "succeeded";
    }
    return head + e.errorClass() + (e.message() == null ? "" : ": " + Terminal.inert(e.message()));
  }

  private static void line(PrintWriter out, String key, String value) {
    out.printf("%-12s %s%n", key + ":", value == null ? "-" : Terminal.inert(value));
  }

  static String iso(Instant i) {
    return i == null ? null : i.toString();
  }
}
