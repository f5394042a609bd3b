package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.EnqueueResult;
import dev.baton.InvalidTaskException;
import dev.baton.JsonCodec;
import dev.baton.TaskRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code baton enqueue}: one task from {@code --payload}, or one per line of {@code --file}. */
@Command(
    name = "enqueue",
    mixinStandardHelpOptions = true,
    description = {
      "Enqueues a task and prints its id.",
      "With --file, enqueues one task per line of a JSON-lines file ('-' for stdin) and prints one id per line, "
          + "in input order. Blank lines are skipped. Every line is checked before anything is enqueued: "
          + "an invalid line names its line number and exits 2 with nothing enqueued.",
      "Enqueue is idempotent on --id: an existing id (or a live --dedup-key) prints the existing task's id."
    })
final class EnqueueCommand implements Callable<Integer> {
  static final int DEFAULT_BATCH = 1000;

  @Mixin GlobalOptions globals;

  @Spec CommandSpec spec;

  @Option(names = {"-q", "--queue"}, required = true, paramLabel = "AGENT_TYPE", description = "The agent type (queue).")
  String queue;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(names = "--payload", paramLabel = "JSON", description = "The payload, one JSON value.")
    String payload;

    @Option(names = "--file", paramLabel = "FILE", description = "JSON lines, one payload per line; '-' reads stdin.")
    String file;
  }

  @Option(names = "--id", paramLabel = "ID", description = "Task id (default: a new UUIDv7). Not with --file.")
  String id;

  @Option(names = "--delay", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Run after this delay, e.g. 30s, 5m, PT1H.")
  Duration delay;

  @Option(names = "--max-attempts", paramLabel = "N",
      description = "Attempt budget, 1-" + TaskRequest.MAX_MAX_ATTEMPTS + " (default: " + TaskRequest.DEFAULT_MAX_ATTEMPTS + ").")
  Integer maxAttempts;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Per-attempt timeout (default: the worker's).")
  Duration timeout;

  @Option(names = "--dedup-key", paramLabel = "KEY",
      description = "While a task with this key is retained, enqueuing another returns it instead. Not with --file.")
  String dedupKey;

  @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A header, repeatable (e.g. traceparent=...).")
  Map<String, String> headers = new LinkedHashMap<>();

  @Option(names = "--batch-size", paramLabel = "N", hidden = true, defaultValue = "" + DEFAULT_BATCH,
      description = "Tasks per pipelined round trip with --file.")
  int batchSize;

  /** Where {@code --file -} reads from. */
  InputStream stdin = System.in;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (source.payload != null) {
      TaskRequest request = request(source.payload, id, dedupKey);
      checkPayload(source.payload, globals.config().maxPayloadBytes(), "payload");
      try (BatonClient client = globals.connect()) {
        EnqueueResult r = client.dispatcher().enqueue(request);
        note(r);
        out.println(r.id());
        out.flush();
      }
      return ExitCodes.OK;
    }
    if (id != null || dedupKey != null) {
      throw new ParameterException(spec.commandLine(), "--id and --dedup-key name one task; they cannot be used with --file");
    }
    if (batchSize < 1) {
      throw new ParameterException(spec.commandLine(), "--batch-size must be positive, got " + batchSize);
    }
    List<TaskRequest> requests = readAll();
    try (BatonClient client = globals.connect()) {
      for (int from = 0; from < requests.size(); from += batchSize) {
        List<EnqueueResult> results =
            client.dispatcher().enqueueAll(requests.subList(from, Math.min(requests.size(), from + batchSize)));
        for (EnqueueResult r : results) {
          note(r);
          out.println(r.id());
        }
        out.flush();
      }
    }
    return ExitCodes.OK;
  }

  /** Reads and checks every line before anything is enqueued. */
  private List<TaskRequest> readAll() throws IOException {
    int maxBytes = globals.config().maxPayloadBytes();
    List<TaskRequest> requests = new ArrayList<>();
    try (BufferedReader reader = open()) {
      String line;
      int n = 0;
      while ((line = reader.readLine()) != null) {
        n++;
        if (n == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1); // byte order mark
        }
        if (line.isBlank()) {
          continue;
        }
        String where = "line " + n;
        checkPayload(line, maxBytes, where);
        try {
          requests.add(request(line, null, null));
        } catch (InvalidTaskException e) {
          throw new CliException(ExitCodes.USAGE, where + ": " + e.getMessage(), e);
        }
      }
    } catch (CharacterCodingException e) {
      throw new CliException(ExitCodes.USAGE, describeFile() + " is not UTF-8 text", e);
    }
    return requests;
  }

  private BufferedReader open() {
    InputStream in;
    if ("-".equals(source.file)) {
      in = stdin;
    } else {
      try {
        in = Files.newInputStream(Path.of(source.file));
      } catch (NoSuchFileException e) {
        throw new CliException(ExitCodes.USAGE, "no such file: " + source.file, e);
      } catch (IOException e) {
        throw new CliException(ExitCodes.USAGE, "cannot read " + source.file + ": " + e.getMessage(), e);
      }
    }
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()));
  }

  private String describeFile() {
    return "-".equals(source.file) ? "stdin" : source.file;
  }

  /** Checks the payload as the dispatcher would, without Redis, so a bad input never depends on a connection. */
  private static void checkPayload(String json, int maxBytes, String where) {
    try {
      JsonCodec.jackson().validate(json);
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCodes.USAGE, where + " is not valid JSON: " + e.getMessage(), e);
    }
    int bytes = json.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > maxBytes) {
      throw new CliException(ExitCodes.USAGE, where + " is " + bytes + " bytes, over the limit of " + maxBytes);
    }
  }

  private TaskRequest request(String payload, String taskId, String dedup) {
    TaskRequest.Builder b = TaskRequest.builder(queue).payloadJson(payload);
    if (taskId != null) {
      b.id(taskId);
    }
    if (dedup != null) {
      b.dedupKey(dedup);
    }
    if (delay != null) {
      b.delay(delay);
    }
    if (maxAttempts != null) {
      b.maxAttempts(maxAttempts);
    }
    if (timeout != null) {
      b.timeout(timeout);
    }
    b.headers(headers);
    return b.build();
  }

  private void note(EnqueueResult r) {
    if (!r.created()) {
      PrintWriter err = spec.commandLine().getErr();
      err.println("baton: task " + r.id() + " already exists (state: "
          + (r.state() == null ? "unknown" : r.state().wireName()) + "); nothing enqueued");
      err.flush();
    }
  }
}
