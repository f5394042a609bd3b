package dev.baton.cli;

import dev.baton.BatonClient;
import dev.baton.EnqueueResult;
import dev.baton.InvalidTaskException;
import dev.baton.JsonCodec;
import dev.baton.TaskRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
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
          + "in input order, in batches of 1000. Blank lines are skipped. A regular file is checked whole before "
          + "anything is enqueued: an invalid line (not JSON, over the payload limit, not UTF-8) names its line "
          + "number and exits 2 with nothing enqueued. Stdin and other streams are read as they come: an invalid "
          + "line stops the run, the batches before it stay enqueued, and the message says which line to resume "
          + "from (--from-line). --id-prefix P gives line n the id P-n, so a re-run enqueues nothing twice.",
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

  @Option(names = "--id-prefix", paramLabel = "PREFIX",
      description = "With --file: line n gets the id PREFIX-n (n counts every line, blank ones too), so running "
          + "the same input again enqueues nothing twice.")
  String idPrefix;

  @Option(names = "--from-line", paramLabel = "N",
      description = "With --file: skip the lines before line N (1 = the first), e.g. to resume a run that stopped.")
  Long fromLine;

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
      if (idPrefix != null || fromLine != null) {
        throw new ParameterException(spec.commandLine(), "--id-prefix and --from-line apply to --file only");
      }
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
    checkFileOptions();
    int maxBytes = globals.config().maxPayloadBytes();
    Path path = "-".equals(source.file) ? null : Path.of(source.file);
    if (path != null && Files.isRegularFile(path)) {
      // a file can be read twice: check it whole first, so an invalid line leaves nothing enqueued
      try (JsonLines lines = open(path, maxBytes)) {
        new Run(null).readAll(lines);
      }
    }
    try (Run run = new Run(globals); JsonLines lines = open(path, maxBytes)) {
      run.readAll(lines);
    }
    return ExitCodes.OK;
  }

  private void checkFileOptions() {
    if (id != null || dedupKey != null) {
      throw new ParameterException(spec.commandLine(), "--id and --dedup-key name one task; they cannot be used with --file");
    }
    if (batchSize < 1) {
      throw new ParameterException(spec.commandLine(), "--batch-size must be positive, got " + batchSize);
    }
    if (fromLine != null && fromLine < 1) {
      throw new ParameterException(spec.commandLine(), "--from-line must be 1 or more, got " + fromLine);
    }
    if (idPrefix != null) {
      try {
        TaskRequest.builder(queue).id(idPrefix + "-" + Integer.MAX_VALUE);
      } catch (InvalidTaskException e) {
        if (!"id".equals(e.field())) {
          throw e; // e.g. the agent type
        }
        throw new ParameterException(spec.commandLine(), "--id-prefix: " + e.getMessage(), e);
      }
    }
  }

  /** One pass over the input: checks each line and, with a client, enqueues them in batches. */
  private final class Run implements AutoCloseable {
    private final GlobalOptions connectWith;
    private BatonClient client;
    private final List<TaskRequest> batch = new ArrayList<>();
    private long batchFirstLine;
    private long batchLastLine;
    private long enqueued;
    private long enqueuedUpToLine;

    /** With {@code connectWith} null, only checks. */
    Run(GlobalOptions connectWith) {
      this.connectWith = connectWith;
    }

    void readAll(JsonLines lines) throws IOException {
      if (fromLine != null) {
        lines.skipTo(fromLine);
      }
      JsonLines.Line line;
      while (true) {
        try {
          line = lines.next();
          if (line == null) {
            break;
          }
          add(line);
        } catch (CliException e) {
          throw stopped(e, lines.number());
        }
        if (batch.size() >= batchSize) {
          flush();
        }
      }
      flush();
    }

    private void add(JsonLines.Line line) {
      String where = "line " + line.number();
      checkPayload(line.text(), Integer.MAX_VALUE, where); // the reader checked the size
      TaskRequest r;
      try {
        r = request(line.text(), idPrefix == null ? null : idPrefix + "-" + line.number(), null);
      } catch (InvalidTaskException e) {
        throw new CliException(ExitCodes.USAGE, where + ": " + e.getMessage(), e);
      }
      if (connectWith == null) {
        return; // checking only
      }
      if (batch.isEmpty()) {
        batchFirstLine = line.number();
      }
      batch.add(r);
      batchLastLine = line.number();
    }

    /** An invalid line after batches were enqueued (a stream read once): says what was enqueued. */
    private CliException stopped(CliException e, long atLine) {
      if (enqueued == 0) {
        return e;
      }
      long resume = batch.isEmpty() ? atLine : batchFirstLine;
      return new CliException(e.exitCode(), e.getMessage() + "; " + summary() + "; fix it and resume with --from-line "
          + resume + sameIds(), e);
    }

    private void flush() {
      if (batch.isEmpty() || connectWith == null) {
        return;
      }
      List<EnqueueResult> results;
      try {
        if (client == null) {
          client = connectWith.connect();
        }
        results = client.dispatcher().enqueueAll(batch);
      } catch (CliException e) {
        throw e;
      } catch (RuntimeException e) {
        String unknown = idPrefix == null
            ? " (some tasks of lines " + batchFirstLine + "-" + batchLastLine + " may have been enqueued: "
                + "--id-prefix makes a re-run idempotent)"
            : " and the same --id-prefix (a re-run enqueues nothing twice)";
        throw new CliException(new ErrorHandler().getExitCode(e), "enqueue stopped at line " + batchFirstLine + ": "
            + ErrorHandler.message(e) + "; " + summary() + "; resume with --from-line " + batchFirstLine + unknown, e);
      }
      PrintWriter out = spec.commandLine().getOut();
      for (EnqueueResult r : results) {
        note(r);
        out.println(r.id());
      }
      out.flush();
      enqueued += results.size();
      enqueuedUpToLine = batchLastLine;
      batch.clear();
    }

    private String summary() {
      return enqueued == 0 ? "nothing was enqueued"
          : enqueued + " task(s) of lines up to " + enqueuedUpToLine + " were enqueued (their ids are printed)";
    }

    private String sameIds() {
      return idPrefix == null ? "" : " and the same --id-prefix";
    }

    @Override
    public void close() {
      if (client != null) {
        client.close();
      }
    }
  }

  private JsonLines open(Path path, int maxBytes) {
    if (path == null) {
      return new JsonLines(stdin, maxBytes, "stdin");
    }
    if (Files.isDirectory(path)) {
      throw new CliException(ExitCodes.USAGE, "--file " + source.file + " is a directory, not a file");
    }
    try {
      return new JsonLines(Files.newInputStream(path), maxBytes, source.file);
    } catch (NoSuchFileException e) {
      throw new CliException(ExitCodes.USAGE, "no such file: " + source.file, e);
    } catch (IOException e) {
      throw new CliException(ExitCodes.USAGE, "cannot read " + source.file + ": " + e.getMessage(), e);
    }
  }

  /** Checks the payload as the dispatcher would, without Redis, so a bad input never depends on a connection. */
  private static void checkPayload(String json, int maxBytes, String where) {
    try {
      JsonCodec.jackson().validate(json);
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCodes.USAGE, where + " is not valid JSON: " + e.getMessage(), e);
    }
    if (maxBytes == Integer.MAX_VALUE) {
      return;
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
