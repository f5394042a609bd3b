package dev.baton.internal.jmh;

/** Deterministic JSON payloads of an exact size, shaped like an agent's task: a few fields and a list. */
final class Payloads {
  private Payloads() {}

  /** A JSON object of exactly {@code bytes} bytes (at least 64). */
  static String json(int bytes) {
    StringBuilder b = new StringBuilder("{\"url\":\"https://example.com/a/1\",\"lang\":\"en\",\"items\":[");
    int i = 0;
    String tail = "],\"pad\":\"\"}";
    while (b.length() + tail.length() + 24 < bytes) {
      b.append(i == 0 ? "" : ",").append("{\"n\":").append(i).append(",\"w\":\"word").append(i % 10).append("\"}");
      i++;
    }
    b.append("],\"pad\":\"");
    b.append("x".repeat(Math.max(0, bytes - b.length() - 2)));
    b.append("\"}");
    if (b.length() != bytes) {
      throw new IllegalStateException("payload of " + b.length() + " bytes, wanted " + bytes);
    }
    return b.toString();
  }
}
