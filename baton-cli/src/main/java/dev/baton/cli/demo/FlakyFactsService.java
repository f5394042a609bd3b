package dev.baton.cli.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.baton.JsonCodec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deliberately unreliable local HTTP service: {@code GET /facts?topic=T} answers 200 with a small
 * JSON fact, except that a seeded-random fraction of calls fail with 503, 429 or a response slower
 * than the caller's timeout, and the {@link #POISONED_TOPIC} always fails with 500.
 *
 * <p>Whether a call fails depends only on the seed, the topic and how many calls for that topic came
 * before it, never on how calls for different topics interleave: a run is reproducible.
 *
 * <p>It can also go down as a whole: for {@code outage} from its first call, every call is answered
 * 529 (overloaded), whatever the topic. Calls during the outage do not count toward a topic's
 * sequence, so the failures after it are those of a run without it.
 */
final class FlakyFactsService implements AutoCloseable {
  /** The topic whose calls always fail with 500, so that its task ends in the dead-letter queue. */
  static final String POISONED_TOPIC = "poison-pill";

  /** What the service does with one call. */
  enum Behavior {
    OK(200),
    SLOW(200),
    UNAVAILABLE(503),
    RATE_LIMITED(429),
    POISONED(500),
    UNKNOWN_TOPIC(404),
    OVERLOADED(529);

    final int status;

    Behavior(int status) {
      this.status = status;
    }
  }

  /** The facts the service knows, by topic. */
  static final Map<String, String> FACTS = facts();

  private final long seed;
  private final double failureRate;
  private final Duration slowDelay;
  private final Map<String, AtomicInteger> callsByTopic = new ConcurrentHashMap<>();
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger slowCalls = new AtomicInteger();
  private final AtomicInteger outageCalls = new AtomicInteger();
  private final Duration outage;
  private volatile long outageEndsNanos;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private HttpServer server;

  FlakyFactsService(long seed, double failureRate, Duration slowDelay) {
    this(seed, failureRate, slowDelay, Duration.ZERO);
  }

  /** @param outage how long the service is down (529) from its first call; zero for never */
  FlakyFactsService(long seed, double failureRate, Duration slowDelay, Duration outage) {
    if (!(failureRate >= 0 && failureRate <= 1)) {
      throw new IllegalArgumentException("failure rate must be in [0, 1], got " + failureRate);
    }
    this.seed = seed;
    this.failureRate = failureRate;
    this.slowDelay = slowDelay;
    this.outage = outage;
  }

  /** Starts serving on 127.0.0.1 on a free port. */
  FlakyFactsService start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/facts", this::serve);
    server.start();
    return this;
  }

  URI baseUri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The {@code call}-th (1-based) call for {@code topic}: a pure function of the seed. */
  Behavior behavior(String topic, int call) {
    if (POISONED_TOPIC.equals(topic)) {
      return Behavior.POISONED;
    }
    if (!FACTS.containsKey(topic)) {
      return Behavior.UNKNOWN_TOPIC;
    }
    long mixed = (seed * 1_000_003L + topic.hashCode()) * 1_000_003L + call;
    double r = new SplittableRandom(mixed).nextDouble();
    if (r < failureRate * 0.6) {
      return Behavior.UNAVAILABLE;
    } else if (r < failureRate * 0.8) {
      return Behavior.RATE_LIMITED;
    } else if (r < failureRate) {
      return Behavior.SLOW;
    }
    return Behavior.OK;
  }

  /** Calls served so far. */
  int calls() {
    return calls.get();
  }

  /** Calls answered with an error status so far (slow calls are not counted: they answer 200, late). */
  int failures() {
    return failures.get();
  }

  /** Calls answered 529 because the service was down. */
  int outageCalls() {
    return outageCalls.get();
  }

  /** Calls answered late on purpose so far. */
  int slowCalls() {
    return slowCalls.get();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String topic = queryParam(exchange.getRequestURI().getRawQuery(), "topic");
      if (!"GET".equals(exchange.getRequestMethod()) || topic == null || topic.isBlank()) {
        failures.incrementAndGet();
        respond(exchange, 400, Map.of("error", "use GET /facts?topic=T"));
        return;
      }
      calls.incrementAndGet();
      if (down()) {
        outageCalls.incrementAndGet();
        fail(exchange, Behavior.OVERLOADED, "overloaded: the facts service is down, try again later");
        return;
      }
      int call = callsByTopic.computeIfAbsent(topic, t -> new AtomicInteger()).incrementAndGet();
      Behavior b = behavior(topic, call);
      switch (b) {
        case OK -> respond(exchange, 200, Map.of("topic", topic, "fact", FACTS.get(topic)));
        case SLOW -> {
          slowCalls.incrementAndGet();
          try {
            Thread.sleep(slowDelay);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          respond(exchange, 200, Map.of("topic", topic, "fact", FACTS.get(topic)));
        }
        case UNAVAILABLE -> fail(exchange, b, "service unavailable, try again");
        case RATE_LIMITED -> fail(exchange, b, "too many requests, slow down");
        case POISONED -> fail(exchange, b, "internal error: topic '" + topic + "' crashes the fact store");
        case UNKNOWN_TOPIC -> fail(exchange, b, "no facts about '" + topic + "'");
      }
    } catch (IOException e) {
      // the caller gave up (timed out) before the answer: nothing to do
    }
  }

  /** True during the outage, which starts with the first call. */
  private synchronized boolean down() {
    if (outage.isZero()) {
      return false;
    }
    if (outageEndsNanos == 0) {
      outageEndsNanos = System.nanoTime() + outage.toNanos();
    }
    return System.nanoTime() - outageEndsNanos < 0;
  }

  private void fail(HttpExchange exchange, Behavior b, String error) throws IOException {
    failures.incrementAndGet();
    respond(exchange, b.status, Map.of("error", error));
  }

  private static void respond(HttpExchange exchange, int status, Map<String, String> body) throws IOException {
    byte[] bytes = JsonCodec.jackson().encode(body).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String queryParam(String rawQuery, String name) {
    if (rawQuery == null) {
      return null;
    }
    for (String pair : rawQuery.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
    }
    executor.shutdownNow();
  }

  private static Map<String, String> facts() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("streams", "Every task is an entry in a Redis Stream, so enqueuing is one append that survives "
        + "the enqueuing process.");
    m.put("consumer-groups", "Workers read through a consumer group: each entry goes to one worker at a time "
        + "and stays pending until that worker records an outcome.");
    m.put("retries", "A failed or timed-out attempt is retried after exponential backoff with full jitter "
        + "until its attempt budget is spent.");
    m.put("dead-letters", "A task that cannot succeed lands in a dead-letter queue with its full attempt "
        + "history, where it can be inspected, replayed or purged.");
    return Collections.unmodifiableMap(m);
  }
}
