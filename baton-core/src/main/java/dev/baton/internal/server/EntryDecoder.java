package dev.baton.internal.server;

import dev.baton.HandlerOptions;
import dev.baton.RetryPolicy;
import dev.baton.TaskRequest;
import dev.baton.internal.codec.JacksonCodec;
import dev.baton.internal.codec.WireFormat;
import dev.baton.internal.scripts.CycleScripts;
import dev.baton.internal.scripts.EnqueueV2Scripts;
import java.time.Instant;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Turns a layout-2 delivery into a {@link StartedTask} without a script (docs/hot-path-v2.md): an
 * entry read with XREADGROUP ({@code t}, {@code p}, and {@code o}, {@code a} when present) or an
 * entry the cycle claimed. The token of a first delivery is its entry id; of an entry with
 * {@code a} = {@code n,att,nol,flt}, {@code q<a>,<eid>}. Options are parsed only when a task has
 * some; the payload is not parsed here (the producer validated it; a handler that reads it parses
 * it). A delivery that cannot run as written throws {@link Malformed}.
 */
final class EntryDecoder {
  private final String agentType;
  private final HandlerOptions options;

  EntryDecoder(String agentType, HandlerOptions options) {
    this.agentType = agentType;
    this.options = options;
  }

  /** A delivery that cannot run as written; {@link #shell} is what the dead letter is written with. */
  static final class Malformed extends RuntimeException {
    private final StartedTask shell;

    Malformed(String message, StartedTask shell, Throwable cause) {
      super(message, cause);
      this.shell = shell;
    }

    StartedTask shell() {
      return shell;
    }
  }

  /**
   * The task an entry read with XREADGROUP holds, or null when the entry has no valid task id (it
   * is left pending: the recoverer dead-letters it as a tombstone when its lease runs out).
   */
  StartedTask entry(String entryId, Map<String, String> body, Instant now) {
    String id = body.get("t");
    if (id == null || !isId(id)) {
      return null;
    }
    String a = body.get("a");
    String token = a == null ? entryId : "q" + a + "," + entryId;
    int attempt = a == null ? 1 : attemptOf(a);
    return task(id, entryId, token, attempt, body.get("p"), body.get("o"), now);
  }

  /** The task an entry claimed by the cycle holds. */
  StartedTask claimed(CycleScripts.Claimed c, Instant now) {
    return task(c.id(), c.entryId(), c.token(), c.attempt(), c.payloadJson(),
        c.optionsJson().isEmpty() ? null : c.optionsJson(), now);
  }

  private StartedTask task(String id, String entryId, String token, int attempt, String payload, String optionsJson,
      Instant now) {
    int max = EnqueueV2Scripts.DEFAULT_MAX_ATTEMPTS;
    long timeout = 0;
    Map<String, String> headers = Map.of();
    RetryPolicy backoff = null;
    try {
      if (payload == null) {
        throw new IllegalArgumentException("malformed task: no payload");
      }
      if (optionsJson != null) {
        JsonNode o = JacksonCodec.INSTANCE.mapper().readTree(optionsJson);
        if (o == null || !o.isObject()) {
          throw new IllegalArgumentException("malformed task: options are not a JSON object");
        }
        max = o.has("max") ? positiveInt(o.get("max"), "max") : max;
        timeout = o.has("to") ? nonNegativeLong(o.get("to"), "to") : 0;
        headers = o.has("h") ? WireFormat.parseHeaders(o.get("h").toString()) : Map.of();
        backoff = o.has("bo") ? RetryPolicy.fromWire(o.get("bo").asString()) : null;
      }
    } catch (RuntimeException e) {
      StartedTask shell = new StartedTask(id, agentType, entryId, token, attempt, attempt, 0, "", Map.of(), null, now);
      throw new Malformed(e.getMessage(), shell, e);
    }
    return new StartedTask(id, agentType, entryId, token, attempt, max,
        timeout > 0 ? timeout : options.timeout().toMillis(), payload, headers, backoff, now);
  }

  /**
   * {@link TaskRequest#ID} without a regex (this runs once per delivery): 1 to 128 of
   * {@code A-Z a-z 0-9 . _ : -}.
   */
  static boolean isId(String s) {
    int n = s.length();
    if (n < 1 || n > 128) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
          || c == ':' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static int attemptOf(String a) {
    String[] parts = a.split(",", -1);
    try {
      return Integer.parseInt(parts[1]) + 1;
    } catch (RuntimeException e) {
      return 1;
    }
  }

  private static int positiveInt(JsonNode n, String name) {
    if (!n.canConvertToInt() || n.asInt() < 1) {
      throw new IllegalArgumentException("malformed task: option " + name + " is not a positive integer");
    }
    return n.asInt();
  }

  private static long nonNegativeLong(JsonNode n, String name) {
    if (!n.canConvertToLong() || n.asLong() < 0) {
      throw new IllegalArgumentException("malformed task: option " + name + " is not a non-negative integer");
    }
    return n.asLong();
  }
}
