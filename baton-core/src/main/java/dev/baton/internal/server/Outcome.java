package dev.baton.internal.server;

/** How an attempt ended, before it is written: a result (JSON text) or an error. */
record Outcome(String resultJson, Throwable error) {
  static Outcome success(String resultJson) {
    return new Outcome(resultJson, null);
  }

  static Outcome failure(Throwable error) {
    return new Outcome(null, error);
  }

  boolean succeeded() {
    return error == null;
  }
}
