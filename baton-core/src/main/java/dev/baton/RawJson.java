package dev.baton;

import java.util.Objects;

/**
 * JSON text a handler returns as its result as-is, instead of an object for the codec to encode.
 * It is validated before it is stored. Immutable.
 *
 * @param json one JSON value
 */
public record RawJson(String json) {
  /**
   * Wraps the text.
   *
   * @throws NullPointerException when {@code json} is null
   */
  public RawJson {
    Objects.requireNonNull(json, "json");
  }
}
