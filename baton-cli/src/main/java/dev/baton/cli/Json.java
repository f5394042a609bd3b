package dev.baton.cli;

import java.io.PrintWriter;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON output of the CLI. Only maps, lists, strings, numbers and trees are written, never objects
 * whose class would show; settings are pinned here rather than left to Jackson's defaults.
 */
final class Json {
  private static final JsonMapper MAPPER = JsonMapper.builder()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .build();
  private static final JsonMapper COMPACT = JsonMapper.builder().build();

  private Json() {}

  static void print(PrintWriter out, Object value) {
    out.println(MAPPER.writeValueAsString(value));
    out.flush();
  }

  static String compact(Object value) {
    return COMPACT.writeValueAsString(value);
  }

  /** Stored JSON text as a tree, so it is embedded rather than quoted; text that does not parse stays text. */
  static Object tree(String json) {
    if (json == null) {
      return null;
    }
    try {
      JsonNode node = MAPPER.readTree(json);
      return node;
    } catch (JacksonException e) {
      return json;
    }
  }
}
