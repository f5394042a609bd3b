package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.testing.RedisExtension;
import dev.baton.testkit.RedisServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The foreign-producer example of docs/data-model.md ("Worked example (redis-cli)") is run, so it
 * cannot go stale: every {@code $ redis-cli ...} command between the {@code enqueue-example}
 * markers runs through a real {@code redis-cli} process against a private redis-server, in a
 * directory holding this version's {@code enqueue.lua}; each reply must equal the one the document
 * shows, with times (13-digit ms values, also inside entry ids) masked. A Baton worker then runs
 * the task the example enqueued, with the example's payload, and the delayed one is scheduled with
 * its header.
 */
class DataModelExampleIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final Pattern REPLY_TOKEN = Pattern.compile("\\(integer\\) -?\\d+|\"(?:[^\"\\\\]|\\\\.)*\"|\\(nil\\)|\\(empty array\\)");
  private static final Pattern ASSIGNMENT = Pattern.compile("([A-Z_]+)=\\$\\((.*)\\)");

  record Step(String command, List<String> expectedReply) {}

  @Test
  void theRedisCliExampleEnqueuesTasksThatABatonWorkerRuns() throws Exception {
    List<Step> steps = steps(Files.readString(dataModelDoc()));
    assertThat(steps).as("commands between the enqueue-example markers").hasSizeGreaterThanOrEqualTo(5);
    assertThat(steps.getFirst().command()).startsWith("redis-cli SADD baton:queues summarize");

    Path dir = Files.createTempDirectory("baton-data-model-");
    byte[] script;
    try (InputStream in = DataModelExampleIT.class.getResourceAsStream("/dev/baton/lua/enqueue.lua")) {
      script = in.readAllBytes();
    }
    Files.write(dir.resolve("enqueue.lua"), script);
    String sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(script));

    Map<String, String> vars = new ConcurrentHashMap<>();
    for (Step step : steps) {
      Matcher assignment = ASSIGNMENT.matcher(step.command());
      if (assignment.matches()) {
        // as in a shell: command substitution, stdout not a terminal, so redis-cli prints raw
        String out = redisCli(dir, assignment.group(2), vars, false).strip();
        vars.put(assignment.group(1), out);
        if (assignment.group(2).contains("SCRIPT LOAD")) {
          assertThat(out).as("SCRIPT LOAD prints the SHA1 of the file").isEqualTo(sha1);
        }
        continue;
      }
      String out = redisCli(dir, step.command(), vars, true);
      assertThat(masked(tokens(out))).as("reply of: %s%nwas:%n%s", step.command(), out)
          .isEqualTo(masked(step.expectedReply()));
    }

    // a Baton worker on the example's prefix and agent type runs the task
    BatonClient baton = redis.client(BatonConfig.builder().redisUri(redis.uri()).build());
    Map<String, String> payloads = new ConcurrentHashMap<>();
    try (Worker worker = Worker.builder(baton)
        .handle("summarize", ctx -> {
          payloads.put(ctx.taskId(), ctx.payloadJson());
          return Map.of("summary", "ok");
        })
        .build()
        .start()) {
      TaskInfo done = baton.dispatcher().awaitResult("order-1234", Duration.ofSeconds(20));
      assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(payloads).containsEntry("order-1234", "{\"doc\":\"s3://bucket/a.pdf\",\"words\":200}");
      TaskInfo later = baton.inspector().task("order-1235");
      assertThat(later.state()).isEqualTo(TaskState.SCHEDULED);
      assertThat(later.maxAttempts()).isEqualTo(5);
      assertThat(later.headers()).containsEntry("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
      assertThat(Duration.between(later.createdAt(), later.scheduledAt())).isEqualTo(Duration.ofSeconds(30));
    }
  }

  /** The commands of the console blocks between the markers, each with the reply shown under it. */
  static List<Step> steps(String doc) {
    int begin = doc.indexOf("<!-- enqueue-example:begin -->");
    int end = doc.indexOf("<!-- enqueue-example:end -->");
    assertThat(begin).as("begin marker").isNotNegative();
    assertThat(end).as("end marker").isGreaterThan(begin);
    List<Step> steps = new ArrayList<>();
    boolean inConsole = false;
    StringBuilder command = null;
    List<String> reply = new ArrayList<>();
    boolean continued = false;
    for (String line : doc.substring(begin, end).split("\n")) {
      if (line.startsWith("```")) {
        if (inConsole && command != null) {
          steps.add(new Step(command.toString(), tokens(String.join("\n", reply))));
          command = null;
        }
        inConsole = line.equals("```console");
        continue;
      }
      if (!inConsole) {
        continue;
      }
      if (continued) {
        command.append(' ').append(stripContinuation(line.strip()));
        continued = line.endsWith("\\");
      } else if (line.startsWith("$ ")) {
        if (command != null) {
          steps.add(new Step(command.toString(), tokens(String.join("\n", reply))));
        }
        command = new StringBuilder(stripContinuation(line.substring(2).strip()));
        reply = new ArrayList<>();
        continued = line.endsWith("\\");
      } else if (command != null) {
        reply.add(line);
      }
    }
    return steps;
  }

  private static String stripContinuation(String s) {
    return s.endsWith("\\") ? s.substring(0, s.length() - 1).strip() : s;
  }

  static List<String> tokens(String reply) {
    List<String> out = new ArrayList<>();
    Matcher m = REPLY_TOKEN.matcher(reply);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /** Times (ms since the epoch, also inside stream entry ids) differ from run to run. */
  static List<String> masked(List<String> tokens) {
    return tokens.stream().map(t -> t.replaceAll("\\b\\d{13}\\b", "<ms>")).toList();
  }

  /** Runs one documented {@code redis-cli ...} line against the test's server; returns stdout. */
  private static String redisCli(Path dir, String commandLine, Map<String, String> vars, boolean formatted)
      throws IOException, InterruptedException {
    List<String> words = shellWords(commandLine, vars);
    assertThat(words.getFirst()).isEqualTo("redis-cli");
    List<String> cmd = new ArrayList<>(List.of(redisCliBinary(), "-p", Integer.toString(redis.server().port())));
    if (formatted) {
      cmd.add("--no-raw"); // the document shows the terminal's formatted replies
    }
    Path input = null;
    for (int i = 1; i < words.size(); i++) {
      if (words.get(i).equals("<")) {
        input = dir.resolve(words.get(++i));
      } else {
        cmd.add(words.get(i));
      }
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    if (input != null) {
      pb.redirectInput(input.toFile());
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("redis-cli exit code for %s: %s", commandLine, out).isZero();
    assertThat(out).as("reply of %s", commandLine).doesNotStartWith("(error)");
    return out;
  }

  /** Splits a command line as a POSIX shell would for the forms the document uses. */
  static List<String> shellWords(String line, Map<String, String> vars) {
    List<String> words = new ArrayList<>();
    StringBuilder w = null;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (Character.isWhitespace(c)) {
        if (w != null) {
          words.add(w.toString());
          w = null;
        }
        continue;
      }
      if (w == null) {
        w = new StringBuilder();
      }
      if (c == '\'') {
        int close = line.indexOf('\'', i + 1);
        w.append(line, i + 1, close);
        i = close;
      } else if (c == '"') {
        int close = line.indexOf('"', i + 1);
        w.append(expand(line.substring(i + 1, close), vars));
        i = close;
      } else if (c == '$') {
        int j = i + 1;
        while (j < line.length() && (Character.isLetterOrDigit(line.charAt(j)) || line.charAt(j) == '_')) {
          j++;
        }
        w.append(expand(line.substring(i, j), vars));
        i = j - 1;
      } else {
        w.append(c);
      }
    }
    if (w != null) {
      words.add(w.toString());
    }
    return words;
  }

  private static String expand(String s, Map<String, String> vars) {
    Matcher m = Pattern.compile("\\$([A-Z_]+)").matcher(s);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = vars.get(m.group(1));
      assertThat(v).as("shell variable %s set by an earlier command", m.group(1)).isNotNull();
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static Path dataModelDoc() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path doc = d.resolve("docs").resolve("data-model.md");
      if (Files.isRegularFile(doc)) {
        return doc;
      }
    }
    throw new IllegalStateException("docs/data-model.md not found above " + Path.of("").toAbsolutePath());
  }

  private static String redisCliBinary() {
    Path cli = RedisServer.binary().resolveSibling("redis-cli");
    if (Files.isExecutable(cli)) {
      return cli.toString();
    }
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
      Path p = Path.of(d, "redis-cli");
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new IllegalStateException("redis-cli is not installed (it comes with redis-server: apt-get install redis-server)");
  }
}
