package dev.baton;

/**
 * Turns payloads and results into JSON text and back. The default, {@link #jackson()}, is a Jackson
 * mapper with fixed settings: no default typing, no class names in JSON, unknown properties ignored.
 */
public interface JsonCodec {
  /** Encodes a value as JSON text. */
  String encode(Object value);

  /** Decodes JSON text; throws {@link IllegalArgumentException} when it does not fit {@code type}. */
  <T> T decode(String json, Class<T> type);

  /** Throws {@link IllegalArgumentException} with the parser's reason when {@code json} is not one JSON value. */
  void validate(String json);

  static JsonCodec jackson() {
    return dev.baton.internal.codec.JacksonCodec.INSTANCE;
  }
}
