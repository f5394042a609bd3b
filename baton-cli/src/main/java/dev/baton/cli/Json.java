package dev.baton.cli;

import java.io.PrintWriter;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON output of the CLI. Only maps, lists, strings, numbers and trees are written, never objects
 * whose class would show; settings are pinned here rather than left to Jackson's defaults.
 */
final class Json {
  private static final JsonMapper MAPPER = JsonMapper.builder()
      .enable(SerializationFeature.INDENT_OUTPUT)
      // stored payloads and results are shown with every digit they have
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .build();

  private Json() {}

  static void print(PrintWriter out, Object value) {
    out.println(MAPPER.writeValueAsString(value));
    out.flush();
  }

  /** Stored JSON text as a tree, so it is embedded rather than quoted; text that does not parse stays text. */
  static Object tree(String json) {
    if (json == null) {
      return null;
    }
    try {
      return MAPPER.readTree(json);
    } catch (JacksonException e) {
      return json;
    }
  }
}
