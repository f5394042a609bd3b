package dev.baton.internal.limits;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Checks limit names and keys, which become part of Redis key names: bounded length, and no braces,
 * so no name or key can move a key out of its limit's hash tag or into another limit's.
 */
public final class LimitNames {
  /** The key of the calls that give none. */
  public static final String DEFAULT_KEY = "default";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:/@-]{1,100}");
  // printable ASCII without space, '{' (0x7b) and '}' (0x7d)
  private static final Pattern KEY = Pattern.compile("[\\x21-\\x7a\\x7c\\x7e]{1,128}");

  private LimitNames() {}

  public static String name(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("limit name must be 1-100 of [A-Za-z0-9._:/@-], got '" + name + "'");
    }
    return name;
  }

  public static String key(String key) {
    Objects.requireNonNull(key, "key");
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException(
          "limit key must be 1-128 printable ASCII characters without spaces or braces, got '" + printable(key) + "'");
    }
    return key;
  }

  private static String printable(String s) {
    String cut = s.length() > 140 ? s.substring(0, 140) + "..." : s;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
