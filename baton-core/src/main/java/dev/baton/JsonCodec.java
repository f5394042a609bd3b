package dev.baton;

/**
 * Turns payloads and results into JSON text and back. The default, {@link #jackson()}, is a Jackson
 * mapper with fixed settings: no default typing, no class names in JSON, unknown properties ignored.
 *
 * <p>Implementations must be thread-safe: one codec serves every thread of a client and its
 * workers. The default is.
 */
public interface JsonCodec {
  /**
   * Encodes a value as JSON text.
   *
   * @param value the value, may be null
   * @return one JSON value
   * @throws IllegalArgumentException when the value cannot be encoded
   */
  String encode(Object value);

  /**
   * Decodes JSON text.
   *
   * @param <T> the result's type
   * @param json one JSON value
   * @param type the class to decode into (with the default codec, Jackson's {@code JsonNode} gives
   *     a tree)
   * @return the decoded value
   * @throws IllegalArgumentException when it does not fit {@code type}
   */
  <T> T decode(String json, Class<T> type);

  /**
   * Checks that {@code json} is exactly one well-formed JSON value.
   *
   * @param json the text to check
   * @throws IllegalArgumentException with the parser's reason when it is not
   */
  void validate(String json);

  /**
   * The default codec, shared and thread-safe.
   *
   * @return a Jackson-based codec with fixed, safe settings
   */
  static JsonCodec jackson() {
    return dev.baton.internal.codec.JacksonCodec.INSTANCE;
  }
}
