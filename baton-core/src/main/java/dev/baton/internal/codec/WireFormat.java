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

  /** A task record's fields as a {@link TaskInfo}; throws {@link IllegalArgumentException} if malformed. */
  public static TaskInfo toTaskInfo(Map<String, String> f) {
    try {
      String st = require(f, "st");
      List<TaskError> history = new ArrayList<>();
      String hist = f.get("hist");
      if (hist != null) {
        for (JsonNode n : JacksonCodec.INSTANCE.mapper().readTree(hist)) {
          history.add(parseAttempt(n));
        }
      }
      String err = f.get("err");
      TaskError lastError = err == null ? null : parseAttempt(JacksonCodec.INSTANCE.mapper().readTree(err));
      return new TaskInfo(
          require(f, "id"),
          f.getOrDefault("q", ""),
          TaskState.fromWire(st),
          intField(f, "att"),
          intField(f, "max"),
          intField(f, "dlv"),
          instant(f, "ct"),
          instant(f, "sa"),
          instant(f, "sta"),
          instant(f, "ft"),
          f.get("p"),
          f.get("r"),
          lastError,
          List.copyOf(history),
          f.get("why"),
          parseHeaders(f.get("h")));
    } catch (JacksonException e) {
      throw new IllegalArgumentException("malformed JSON in task record: " + e.getOriginalMessage(), e);
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
