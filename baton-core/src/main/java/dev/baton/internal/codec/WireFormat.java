package dev.baton.internal.codec;

import dev.baton.TaskError;
import dev.baton.TaskInfo;
import dev.baton.TaskState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.JsonNode;

/**
 * Encodes and decodes the JSON parts of a task record (headers, attempt records) and turns a
 * record's fields into a {@link TaskInfo}. docs/data-model.md describes every field.
 */
public final class WireFormat {
  /** Longest stack excerpt kept per attempt, in characters. */
  public static final int MAX_STACK_CHARS = 4000;
  /** Longest error message kept per attempt, in characters. */
  public static final int MAX_MESSAGE_CHARS = 2000;

  private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};

  private WireFormat() {}

  public static String headers(Map<String, String> headers) {
    return headers.isEmpty() ? "" : JacksonCodec.INSTANCE.encode(headers);
  }

  public static Map<String, String> parseHeaders(String json) {
    if (json == null || json.isEmpty()) {
      return Map.of();
    }
    Map<String, String> parsed;
    try {
      parsed = JacksonCodec.INSTANCE.mapper().readValue(json, STRING_MAP);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("malformed headers: " + e.getOriginalMessage(), e);
    }
    // JSON null, or a null value, decodes without error but is no header map
    if (parsed == null || parsed.containsValue(null)) {
      throw new IllegalArgumentException("malformed headers: not an object of strings");
    }
    return Map.copyOf(parsed);
  }

  /** One attempt's record, as stored in {@code hist} and {@code err}. */
  public static String attemptRecord(TaskError e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a", e.attempt());
    m.put("w", e.worker());
    m.put("s", e.startedAt().toEpochMilli());
    m.put("f", e.finishedAt().toEpochMilli());
    if (e.errorClass() != null) {
      m.put("c", e.errorClass());
      m.put("m", truncate(e.message(), MAX_MESSAGE_CHARS));
      m.put("k", truncate(e.stack(), MAX_STACK_CHARS));
    }
    return JacksonCodec.INSTANCE.encode(m);
  }

  public static TaskError parseAttempt(JsonNode n) {
    return new TaskError(
        n.path("a").asInt(),
        textOrNull(n, "w"),
        Instant.ofEpochMilli(n.path("s").asLong()),
        Instant.ofEpochMilli(n.path("f").asLong()),
        textOrNull(n, "c"),
        textOrNull(n, "m"),
        textOrNull(n, "k"));
  }

  /**
   * A task record's fields as a {@link TaskInfo}, for reading: fields a foreign writer garbled are
   * shown as far as they can be (unreadable headers as none, unreadable attempt records skipped,
   * unreadable numbers as 0), so a malformed dead letter can still be listed, awaited and purged.
   * Throws {@link IllegalArgumentException} only without an id or a known state.
   */
  public static TaskInfo toTaskInfo(Map<String, String> f) {
    String st = require(f, "st");
    List<TaskError> history = new ArrayList<>();
    JsonNode hist = readTreeOrNull(f.get("hist"));
    if (hist != null && hist.isArray()) {
      for (JsonNode n : hist) {
        history.add(parseAttempt(n));
      }
    }
    JsonNode err = readTreeOrNull(f.get("err"));
    Map<String, String> headers;
    try {
      headers = parseHeaders(f.get("h"));
    } catch (IllegalArgumentException e) {
      headers = Map.of();
    }
    return new TaskInfo(
        require(f, "id"),
        f.getOrDefault("q", ""),
        TaskState.fromWire(st),
        lenientInt(f, "att"),
        lenientInt(f, "max"),
        lenientInt(f, "dlv"),
        lenientInstant(f, "ct"),
        lenientInstant(f, "sa"),
        lenientInstant(f, "sta"),
        lenientInstant(f, "ft"),
        payload(f),
        f.get("r"),
        err == null || !err.isObject() ? null : parseAttempt(err),
        List.copyOf(history),
        f.get("why"),
        headers,
        f.get("dep"),
        f.get("pr"));
  }

  /**
   * A layout-2 record's fields (docs/hot-path-v2.md: v2/fail.lua's header) as a {@link TaskInfo}, as
   * leniently as {@link #toTaskInfo}: the options (max attempts, headers) come from the JSON object
   * {@code o}, not from fields of their own (an unreadable {@code o} reads as the defaults), the
   * deliveries from {@code dn}, and the agent type, which the record does not hold, from
   * {@code agentType}.
   */
  public static TaskInfo toTaskInfoV2(String agentType, Map<String, String> f) {
    Map<String, String> v1 = new LinkedHashMap<>(f);
    v1.put("q", agentType);
    v1.put("max", Integer.toString(DEFAULT_MAX_ATTEMPTS));
    v1.remove("h");
    JsonNode o = readTreeOrNull(f.get("o"));
    if (o != null && o.isObject()) {
      JsonNode max = o.get("max");
      if (max != null && max.canConvertToInt() && max.asInt() > 0) {
        v1.put("max", Integer.toString(max.asInt()));
      }
      JsonNode h = o.get("h");
      if (h != null && h.isObject()) {
        v1.put("h", h.toString());
      }
    }
    if (f.containsKey("dn")) {
      v1.put("dlv", f.get("dn"));
    }
    return toTaskInfo(v1);
  }

  /** Layout 2: the max attempts of a task whose options do not say (as {@code TaskRequest}'s default). */
  private static final int DEFAULT_MAX_ATTEMPTS = 3;

  /**
   * The payload of a record: field {@code p}, followed by {@code p2}, {@code p3}, ... when
   * enqueue.lua stored it in pieces to keep the record a listpack; null when there is none.
   */
  public static String payload(Map<String, String> f) {
    String first = f.get("p");
    if (first == null || !f.containsKey("p2")) {
      return first;
    }
    StringBuilder b = new StringBuilder(first);
    for (int k = 2; f.containsKey("p" + k); k++) {
      b.append(f.get("p" + k));
    }
    return b.toString();
  }

  private static JsonNode readTreeOrNull(String json) {
    if (json == null) {
      return null;
    }
    try {
      return JacksonCodec.INSTANCE.mapper().readTree(json);
    } catch (JacksonException e) {
      return null;
    }
  }

  private static int lenientInt(Map<String, String> f, String name) {
    try {
      return intField(f, name);
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }

  private static Instant lenientInstant(Map<String, String> f, String name) {
    try {
      return instant(f, name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static String require(Map<String, String> f, String name) {
    String v = f.get(name);
    if (v == null) {
      throw new IllegalArgumentException("task record has no '" + name + "' field");
    }
    return v;
  }

  public static int intField(Map<String, String> f, String name) {
    String v = f.get(name);
    if (v == null) {
      return 0;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("task record field '" + name + "' is not an integer", e);
    }
  }

  public static long longField(Map<String, String> f, String name) {
    String v = f.get(name);
    if (v == null) {
      return 0;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("task record field '" + name + "' is not an integer", e);
    }
  }

  private static Instant instant(Map<String, String> f, String name) {
    String v = f.get(name);
    if (v == null) {
      return null;
    }
    try {
      return Instant.ofEpochMilli(Long.parseLong(v));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("task record field '" + name + "' is not epoch millis", e);
    }
  }

  private static String textOrNull(JsonNode n, String name) {
    JsonNode v = n.get(name);
    return v == null || v.isNull() ? null : v.asString();
  }

  private static String truncate(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    return s.substring(0, max) + "...";
  }
}
