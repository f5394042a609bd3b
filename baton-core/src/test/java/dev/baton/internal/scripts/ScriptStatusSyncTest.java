package dev.baton.internal.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Script;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The status codes of the Lua scripts and {@link ScriptStatus} say the same thing. Each script that
 * returns statuses lists them in its header under "Status codes" ({@code NAME code meaning}) and
 * binds them to named locals at its top ({@code local OK, NOT_HELD = 1, -1}); it returns only those
 * names, never a number, where a status goes. This test parses every script and fails when a code
 * a script returns is missing from the enum, maps to a different code, is not listed for that
 * script in {@link ScriptStatus#returnedBy}, or is returned as a bare number.
 */
class ScriptStatusSyncTest {
  private static final Pattern HEADER = Pattern.compile("\\A--\\[\\[(.*?)]]", Pattern.DOTALL);
  private static final Pattern HEADER_STATUS = Pattern.compile("^\\s+([A-Z][A-Z_]*)\\s+(-?\\d+)(\\s.*)?$");
  private static final Pattern CONSTANTS =
      Pattern.compile("^local\\s+([A-Z][A-Z_0-9]*(?:\\s*,\\s*[A-Z][A-Z_0-9]*)*)\\s*=\\s*(-?\\d+(?:\\s*,\\s*-?\\d+)*)\\s*$");
  private static final String VALUE = "([A-Za-z_][A-Za-z_0-9]*|-?\\d+)";
  /** Where a status goes: the first element of a returned table, a bare return, start's out[i], a code variable. */
  private static final List<Pattern> STATUS_PLACES = List.of(
      Pattern.compile("\\breturn\\s*\\{\\s*" + VALUE + "\\s*[,}]"),
      Pattern.compile("\\breturn\\s+" + VALUE + "\\s*(?:end\\b.*)?$"),
      Pattern.compile("\\bout\\[[^\\]]+]\\s*=\\s*\\{\\s*" + VALUE + "\\s*[,}]"),
      Pattern.compile("\\bcode\\b(?:\\s*,\\s*\\w+)*\\s*=\\s*" + VALUE),
      Pattern.compile("\\bcode\\s*[=~]=\\s*" + VALUE));

  @Test
  void everyScriptsStatusCodesAgreeWithScriptStatus() {
    int withStatuses = 0;
    for (Script script : Script.values()) {
      assertThat(problems(script, script.source())).as(script.file() + ".lua").isEmpty();
      if (!ScriptStatus.returnedBy(script).isEmpty()) {
        withStatuses++;
      }
    }
    assertThat(withStatuses).as("scripts that return statuses").isEqualTo(24);
  }

  @Test
  void everyStatusDecodesToItselfForEveryScriptThatReturnsIt() {
    for (Script script : Script.values()) {
      for (ScriptStatus s : ScriptStatus.returnedBy(script)) {
        assertThat(ScriptStatus.of(script, s.code())).as(script.file() + " " + s).isEqualTo(s);
      }
    }
    assertThat(ScriptStatus.of(Script.ENQUEUE, 0)).isEqualTo(ScriptStatus.EXISTS);
    assertThat(ScriptStatus.of(Script.PERMIT_ACQUIRE, 0)).isEqualTo(ScriptStatus.REFUSED);
  }

  /** The checker itself: each kind of drift in a script is reported. */
  @Test
  void driftBetweenAScriptAndTheEnumIsReported() {
    String complete = Script.COMPLETE.source();

    String newCode = complete
        .replace("  NOT_FOUND  -2  the task record is gone\n", "  NOT_FOUND  -2  the task record is gone\n  GONE  -4  x\n")
        .replace("local OK, NOT_HELD, NOT_FOUND = 1, -1, -2", "local OK, NOT_HELD, NOT_FOUND, GONE = 1, -1, -2, -4");
    assertThat(problems(Script.COMPLETE, newCode)).anyMatch(p -> p.contains("GONE") && p.contains("missing from"));

    String otherCode = complete.replace("  NOT_FOUND  -2", "  NOT_FOUND  -5")
        .replace("local OK, NOT_HELD, NOT_FOUND = 1, -1, -2", "local OK, NOT_HELD, NOT_FOUND = 1, -1, -5");
    assertThat(problems(Script.COMPLETE, otherCode)).anyMatch(p -> p.contains("NOT_FOUND") && p.contains("-5"));

    String localDiffers = complete.replace("local OK, NOT_HELD, NOT_FOUND = 1, -1, -2", "local OK, NOT_HELD, NOT_FOUND = 1, -1, -3");
    assertThat(problems(Script.COMPLETE, localDiffers)).anyMatch(p -> p.contains("NOT_FOUND") && p.contains("local"));

    String literal = complete.replace("out[i] = {NOT_FOUND}", "out[i] = {-2}");
    assertThat(problems(Script.COMPLETE, literal)).anyMatch(p -> p.contains("-2") && p.contains("literal"));

    String undeclared = complete.replace("out[i] = {NOT_FOUND}", "out[i] = {TOMBSTONE}");
    assertThat(problems(Script.COMPLETE, undeclared)).anyMatch(p -> p.contains("TOMBSTONE") && p.contains("declare"));

    String unlisted = complete.replace("  NOT_FOUND  -2  the task record is gone\n", "");
    assertThat(problems(Script.COMPLETE, unlisted)).anyMatch(p -> p.contains("NOT_FOUND") && p.contains("header"));

    assertThat(problems(Script.PERMIT_RELEASE, Script.PERMIT_RELEASE.source().replace("return EXPIRED", "return -1")))
        .anyMatch(p -> p.contains("literal"));
  }

  /** What disagrees between {@code source} (as {@code script}'s source) and {@link ScriptStatus}; empty when nothing. */
  static List<String> problems(Script script, String source) {
    List<String> problems = new ArrayList<>();
    Matcher h = HEADER.matcher(source);
    if (!h.find()) {
      return List.of("no --[[ ]] header");
    }
    Map<String, Integer> header = headerStatuses(h.group(1));
    String body = stripComments(source.substring(h.end()));
    Map<String, Integer> java = new LinkedHashMap<>();
    ScriptStatus.returnedBy(script).forEach(s -> java.put(s.name(), s.code()));

    for (Map.Entry<String, Integer> e : header.entrySet()) {
      ScriptStatus status = Arrays.stream(ScriptStatus.values()).filter(s -> s.name().equals(e.getKey())).findFirst()
          .orElse(null);
      if (status == null) {
        problems.add(e.getKey() + " " + e.getValue() + " is missing from ScriptStatus");
      } else if (status.code() != e.getValue()) {
        problems.add(e.getKey() + " is " + e.getValue() + " in the header but " + status.code() + " in ScriptStatus");
      } else if (!java.containsKey(e.getKey())) {
        problems.add(e.getKey() + " is missing from ScriptStatus.returnedBy(" + script + ")");
      }
    }
    for (String name : java.keySet()) {
      if (!header.containsKey(name)) {
        problems.add("ScriptStatus.returnedBy(" + script + ") lists " + name + " but the header does not");
      }
    }

    Map<String, Integer> locals = statusLocals(body, header);
    for (Map.Entry<String, Integer> e : header.entrySet()) {
      Integer value = locals.get(e.getKey());
      if (value == null) {
        problems.add(e.getKey() + " has no local constant");
      } else if (!value.equals(e.getValue())) {
        problems.add(e.getKey() + " is " + e.getValue() + " in the header but " + value + " as a local");
      }
    }

    if (!header.isEmpty()) {
      for (String line : body.split("\n")) {
        for (Pattern place : STATUS_PLACES) {
          Matcher m = place.matcher(line);
          while (m.find()) {
            String v = m.group(1);
            if (v.matches("-?\\d+")) {
              problems.add("a literal status " + v + " where a named one goes: " + line.trim());
            } else if (v.matches("[A-Z][A-Z_0-9]*") && !header.containsKey(v)) {
              problems.add("returns " + v + ", which the header does not declare: " + line.trim());
            }
          }
        }
      }
    }
    return problems;
  }

  /** NAME -> code of the "Status codes" section of a header. */
  private static Map<String, Integer> headerStatuses(String header) {
    Map<String, Integer> out = new LinkedHashMap<>();
    boolean in = false;
    for (String line : header.split("\n")) {
      if (line.startsWith("Status codes")) {
        in = true;
      } else if (in && line.isBlank()) {
        in = false;
      } else if (in) {
        Matcher m = HEADER_STATUS.matcher(line);
        if (m.matches()) {
          out.put(m.group(1), Integer.parseInt(m.group(2)));
        }
      }
    }
    return out;
  }

  /** The integer locals of the body named like a status (a ScriptStatus constant or a header entry). */
  private static Map<String, Integer> statusLocals(String body, Map<String, Integer> header) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String line : body.split("\n")) {
      Matcher m = CONSTANTS.matcher(line.strip());
      if (m.matches()) {
        String[] names = m.group(1).split("\\s*,\\s*");
        String[] values = m.group(2).split("\\s*,\\s*");
        for (int i = 0; i < Math.min(names.length, values.length); i++) {
          String name = names[i];
          if (header.containsKey(name) || Arrays.stream(ScriptStatus.values()).anyMatch(s -> s.name().equals(name))) {
            out.put(name, Integer.parseInt(values[i]));
          }
        }
      }
    }
    return out;
  }

  private static String stripComments(String lua) {
    String noBlocks = lua.replaceAll("(?s)--\\[\\[.*?]]", "");
    return noBlocks.replaceAll("--[^\n]*", "");
  }
}
