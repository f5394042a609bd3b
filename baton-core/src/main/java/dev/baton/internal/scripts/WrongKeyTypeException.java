package dev.baton.internal.scripts;

import dev.baton.BatonException;

/**
 * A script found one of its keys holding another Redis type than it reads and writes there (a
 * string where a hash, sorted set or stream belongs: something outside Baton wrote it) and wrote
 * nothing: every script reads or type-checks the keys it writes before its first write, because
 * Redis does not roll a failed script back. Retrying cannot succeed until the key is repaired or
 * deleted. Immutable.
 */
public final class WrongKeyTypeException extends BatonException {
  private static final long serialVersionUID = 1L;

  private final String script;
  private final String key;
  private final String actualType;
  private final String expectedType;

  WrongKeyTypeException(String script, String key, String actualType, String expectedType, Throwable cause) {
    super(script + ".lua: key " + key + " holds a " + actualType + ", not a " + expectedType
        + "; nothing was written (repair or delete the key; something outside Baton wrote it)", cause);
    this.script = script;
    this.key = key;
    this.actualType = actualType;
    this.expectedType = expectedType;
  }

  /** The script's file name without {@code .lua}. */
  public String script() {
    return script;
  }

  /** The key of the wrong type. */
  public String key() {
    return key;
  }

  /** The type the key holds ({@code string}, {@code hash}, ...), as Redis TYPE names it. */
  public String actualType() {
    return actualType;
  }

  /** The type the script expects there. */
  public String expectedType() {
    return expectedType;
  }
}
