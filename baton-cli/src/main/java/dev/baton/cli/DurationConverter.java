package dev.baton.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses durations: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 2d}, combinations
 * such as {@code 1h30m}, and ISO-8601 ({@code PT10S}, {@code P1DT2H}). Negative durations are
 * rejected.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /** @throws TypeConversionException naming the accepted forms */
  public static Duration parse(String value) {
    String s = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
    Duration d;
    if (s.startsWith("p")) {
      try {
        d = Duration.parse(s.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw invalid(value);
      }
    } else if (WHOLE.matcher(s).matches()) {
      d = Duration.ZERO;
      Matcher m = PART.matcher(s);
      try {
        while (m.find()) {
          long n = Long.parseLong(m.group(1));
          d = d.plus(switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          });
        }
      } catch (ArithmeticException | NumberFormatException e) {
        throw new TypeConversionException("'" + value + "' is too long a duration");
      }
    } else {
      throw invalid(value);
    }
    if (d.isNegative()) {
      throw new TypeConversionException("'" + value + "' is negative; durations must be >= 0");
    }
    return d;
  }

  private static TypeConversionException invalid(String value) {
    return new TypeConversionException("'" + value + "' is not a duration; use e.g. 500ms, 10s, 5m, 1h, 2d, 1h30m "
        + "or ISO-8601 such as PT10S");
  }
}
