package dev.baton.cli.demo;

import dev.baton.BatonClient;
import dev.baton.resilience.BreakerConfig;
import dev.baton.resilience.DependencyConfig;
import dev.baton.resilience.DependencyUnavailableException;
import dev.baton.Dispatcher;
import dev.baton.HandlerOptions;
import dev.baton.NonRetryableException;
import dev.baton.RetryPolicy;
import dev.baton.TaskContext;
import dev.baton.TaskInfo;
import dev.baton.TaskRequest;
import dev.baton.TaskState;
import dev.baton.Worker;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The demo's three agent types, served by one worker:
 *
 * <ul>
 *   <li>{@code planner} splits a question into topics, fans out one researcher task per topic, waits
 *       for all of them (fan-in) and hands what was found to a writer task;
 *   <li>{@code researcher} looks one topic up in the flaky facts service;
 *   <li>{@code writer} turns the findings into the final answer.
 * </ul>
 *
 * Child task ids are derived from the planner's id, so a retried planner finds its children again
 * instead of enqueuing new ones (enqueue is idempotent on the id).
 */
final class DemoAgents implements AutoCloseable {
  static final String PLANNER = "planner";
  static final String RESEARCHER = "researcher";
  static final String WRITER = "writer";
  /** The dependency the researchers call, guarded by a circuit breaker. */
  static final String FACTS_SERVICE = "facts-service";
  /**
   * Small numbers so that a short outage opens it: 2 failed calls out of the last 4 open it for
   * 1.5 s, then one probe decides.
   */
  static final BreakerConfig FACTS_BREAKER = BreakerConfig.builder().countWindow(4).minimumCalls(2)
      .failureRateThreshold(40).waitInOpen(Duration.ofMillis(1500)).permittedProbes(1)
      .slowCallDuration(Duration.ofSeconds(5)).build();

  static final int RESEARCH_ATTEMPTS = 4;
  static final Duration RESEARCH_TIMEOUT = Duration.ofMillis(1500);
  static final RetryPolicy RESEARCH_BACKOFF =
      RetryPolicy.exponential(Duration.ofMillis(200), 2.0, Duration.ofSeconds(2));
  /** The sub-topics the planner splits every question into: four real ones and the poisoned one. */
  static final List<String> TOPICS =
      List.of("streams", "consumer-groups", "retries", FlakyFactsService.POISONED_TOPIC, "dead-letters");

  /** Planner payload. */
  record Question(String question) {}

  /** Researcher payload. */
  record Topic(String topic) {}

  /** Researcher result. */
  record Fact(String topic, String fact) {}

  /** Writer payload: what was found, and which topics could not be researched. */
  record Draft(String question, List<Fact> findings, List<String> missing) {}

  /** Writer result. */
  record Answer(String answer) {}

  /** Planner result. */
  record Plan(String writerTaskId, List<String> topics, List<String> missing) {}

  /** Thrown by the researcher on an error answer that a retry may cure (5xx, 429). */
  static final class FactServiceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FactServiceException(String message) {
      super(message);
    }
  }

  private final BatonClient client;
  private final URI factsUri;
  private final ProgressPrinter progress;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  DemoAgents(BatonClient client, URI factsUri, ProgressPrinter progress) {
    this.client = client;
    this.factsUri = factsUri;
    this.progress = progress;
  }

  /** Adds the three handlers to a worker. */
  Worker.Builder register(Worker.Builder worker, Duration plannerTimeout) {
    return worker
        .dependency(DependencyConfig.of(FACTS_SERVICE, FACTS_BREAKER))
        .releaseWave(Duration.ofMillis(300))
        .handle(PLANNER, HandlerOptions.withConcurrency(2).timeout(plannerTimeout), this::plan)
        .handle(RESEARCHER, HandlerOptions.withConcurrency(TOPICS.size()).timeout(RESEARCH_TIMEOUT)
            .retryPolicy(RESEARCH_BACKOFF).dependencies(FACTS_SERVICE), this::research)
        .handle(WRITER, HandlerOptions.withConcurrency(2).timeout(Duration.ofSeconds(5)), this::write);
  }

  static String researcherId(String plannerId, String topic) {
    return plannerId + ".research." + topic;
  }

  static String writerId(String plannerId) {
    return plannerId + ".write";
  }

  Plan plan(TaskContext ctx) throws Exception {
    Question q = ctx.payload(Question.class);
    if (q.question() == null || q.question().isBlank()) {
      throw new NonRetryableException("the planner needs a non-empty 'question'");
    }
    Dispatcher dispatcher = client.dispatcher();
    List<TaskRequest> requests = new ArrayList<>();
    for (String topic : TOPICS) {
      String id = researcherId(ctx.taskId(), topic);
      progress.track(RESEARCHER, id, "topic=" + topic);
      requests.add(TaskRequest.builder(RESEARCHER)
          .id(id)
          .payload(new Topic(topic), client.codec())
          .maxAttempts(RESEARCH_ATTEMPTS)
          .timeout(RESEARCH_TIMEOUT)
          .retryPolicy(RESEARCH_BACKOFF)
          .build());
    }
    progress.note(PLANNER, "", "fan-out: " + TOPICS.size() + " researcher tasks " + TOPICS);
    dispatcher.enqueueAll(requests);

    List<CompletableFuture<TaskInfo>> results = new ArrayList<>();
    for (TaskRequest r : requests) {
      results.add(dispatcher.result(r.id()));
    }
    long waitMillis = Math.max(1, Duration.between(Instant.now(), ctx.deadline()).toMillis() - 1000);
    try {
      CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(waitMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      results.forEach(f -> f.cancel(false));
      throw new TimeoutException("researchers not finished within " + waitMillis + "ms");
    }

    List<Fact> findings = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (int i = 0; i < TOPICS.size(); i++) {
      TaskInfo info = results.get(i).join();
      if (info.state() == TaskState.SUCCEEDED) {
        findings.add(client.codec().decode(info.resultJson(), Fact.class));
      } else {
        missing.add(TOPICS.get(i));
      }
    }
    progress.note(PLANNER, "", "fan-in: " + findings.size() + " findings, missing " + missing + " -> writer");
    String writerId = writerId(ctx.taskId());
    progress.track(WRITER, writerId, "");
    dispatcher.enqueue(TaskRequest.builder(WRITER)
        .id(writerId)
        .payload(new Draft(q.question(), findings, missing), client.codec())
        .maxAttempts(2)
        .build());
    return new Plan(writerId, TOPICS, missing);
  }

  Fact research(TaskContext ctx) throws Exception {
    String topic = ctx.payload(Topic.class).topic();
    URI uri = factsUri.resolve("/facts?topic=" + URLEncoder.encode(topic, StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(RESEARCH_TIMEOUT.multipliedBy(4)).GET().build();
    // through the breaker: a 529 means the whole service is down, which parks the task (no attempt
    // used) and counts against the breaker; other errors are this topic's and are retried as usual
    HttpResponse<String> response = ctx.dependency(FACTS_SERVICE).call(() -> {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 529) {
        throw new DependencyUnavailableException(FACTS_SERVICE, "HTTP 529: " + errorText(r.body()));
      }
      return r;
    });
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      return client.codec().decode(response.body(), Fact.class);
    }
    String error = "HTTP " + status + ": " + errorText(response.body());
    if (status >= 400 && status < 500 && status != 429) {
      throw new NonRetryableException(error);
    }
    throw new FactServiceException(error);
  }

  private String errorText(String body) {
    try {
      String e = client.codec().decode(body, ErrorBody.class).error();
      return e == null ? body : e;
    } catch (IllegalArgumentException ex) {
      return body;
    }
  }

  /** The JSON error body of the facts service. */
  record ErrorBody(String error) {}

  Answer write(TaskContext ctx) {
    Draft d = ctx.payload(Draft.class);
    StringBuilder text = new StringBuilder();
    text.append("Q: ").append(d.question()).append('\n');
    text.append("A: ");
    if (d.findings().isEmpty()) {
      text.append("Nothing could be found out.");
    }
    for (int i = 0; i < d.findings().size(); i++) {
      text.append(i == 0 ? "" : "\n   ").append(d.findings().get(i).fact());
    }
    if (!d.missing().isEmpty()) {
      text.append("\n   (Not covered: ").append(String.join(", ", d.missing()))
          .append(" - the research failed; see the dead-letter queue.)");
    }
    return new Answer(text.toString());
  }

  @Override
  public void close() {
    http.shutdownNow();
  }
}
