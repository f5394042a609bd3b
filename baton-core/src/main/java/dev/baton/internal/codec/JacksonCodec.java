package dev.baton.internal.codec;

import dev.baton.JsonCodec;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The default codec. Settings are pinned here rather than left to Jackson's defaults (which changed
 * in 3.x): no default typing, unknown properties ignored, trailing tokens rejected.
 */
public final class JacksonCodec implements JsonCodec {
  public static final JacksonCodec INSTANCE = new JacksonCodec();

  private final JsonMapper mapper = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private JacksonCodec() {}

  public JsonMapper mapper() {
    return mapper;
  }

  @Override
  public String encode(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("cannot encode " + value.getClass().getSimpleName() + " as JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  @Override
  public <T> T decode(String json, Class<T> type) {
    try {
      return mapper.readValue(json, type);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("cannot decode JSON as " + type.getSimpleName() + ": "
          + e.getOriginalMessage(), e);
    }
  }

  /** Streams through the text without building a tree: cheap enough for every enqueue. */
  @Override
  public void validate(String json) {
    try (JsonParser p = mapper.createParser(json)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new IllegalArgumentException("empty text is not JSON");
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        throw new IllegalArgumentException("trailing content after the JSON value at "
            + p.currentLocation().getCharOffset());
      }
    } catch (JacksonException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    }
  }
}
