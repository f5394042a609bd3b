package dev.baton.cli;

/**
 * Makes untrusted text (payloads, results, handler error messages and stderr, dead reasons, header
 * values, ids and names written by other producers) inert in a terminal. Every human-readable output
 * of the CLI goes through {@link #inert}; {@code --json} output does not need it, since JSON
 * escapes every control character itself.
 *
 * <p>Escaped: every C0 control character (U+0000 to U+001F, including ESC, BEL, CR, LF and TAB),
 * DEL (U+007F) and every C1 control character (U+0080 to U+009F, among them CSI U+009B, which some
 * terminals read as ESC [). {@code \n}, {@code \r} and {@code \t} are shown as those two characters;
 * the others as {@code \u001b} (the Java and JSON notation). So an escape sequence cannot clear the
 * screen or set the window title, and a newline cannot start a forged table row or log line.
 * Backslashes are left as they are, so JSON text (whose escapes use them) reads as written.
 */
final class Terminal {
  private Terminal() {}

  /** {@code s} with every control character escaped; null stays null. */
  static String inert(String s) {
    if (s == null) {
      return null;
    }
    int i = 0;
    while (i < s.length() && !control(s.charAt(i))) {
      i++;
    }
    if (i == s.length()) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!control(c)) {
        b.append(c);
        continue;
      }
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> b.append(String.format("\\u%04x", (int) c));
      }
    }
    return b.toString();
  }

  static boolean control(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
  }
}
