package dev.baton;

import java.util.Objects;

/**
 * JSON text a handler returns as its result as-is, instead of an object for the codec to encode.
 * It is validated before it is stored.
 */
public record RawJson(String json) {
  public RawJson {
    Objects.requireNonNull(json, "json");
  }
}
