package dev.baton.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.cli.demo.FlakyFactsService.Behavior;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlakyFactsServiceTest {
  private static final Duration SLOW = Duration.ofMillis(300);

  @Test
  void poisonedTopicAlwaysAnswers500() throws Exception {
    try (FlakyFactsService service = new FlakyFactsService(1, 0.0, SLOW).start();
        HttpClient http = HttpClient.newHttpClient()) {
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> r = get(http, service.baseUri(), FlakyFactsService.POISONED_TOPIC);
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(r.body()).contains("\"error\"");
      }
      HttpResponse<String> ok = get(http, service.baseUri(), "streams");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).contains("\"topic\":\"streams\"").contains("\"fact\"");
      assertThat(get(http, service.baseUri(), "no-such-topic").statusCode()).isEqualTo(404);
      assertThat(service.calls()).isEqualTo(7);
      assertThat(service.failures()).isEqualTo(6);
    }
  }

  @Test
  void anOutageAnswers529FromTheFirstCallWithoutAdvancingTheTopicsSequence() throws Exception {
    try (FlakyFactsService service = new FlakyFactsService(1, 0.0, SLOW, Duration.ofMinutes(5)).start();
        HttpClient http = HttpClient.newHttpClient()) {
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = get(http, service.baseUri(), "streams");
        assertThat(r.statusCode()).isEqualTo(529);
        assertThat(r.body()).contains("overloaded");
      }
      assertThat(get(http, service.baseUri(), FlakyFactsService.POISONED_TOPIC).statusCode()).isEqualTo(529);
      assertThat(service.outageCalls()).isEqualTo(4);
      assertThat(service.calls()).isEqualTo(4);
    }
  }

  @Test
  void failurePatternDependsOnlyOnSeedTopicAndCallNumber() {
    FlakyFactsService a = new FlakyFactsService(42, 0.4, SLOW);
    FlakyFactsService b = new FlakyFactsService(42, 0.4, SLOW);
    FlakyFactsService other = new FlakyFactsService(43, 0.4, SLOW);
    List<Behavior> fromA = pattern(a);
    assertThat(pattern(b)).isEqualTo(fromA);
    assertThat(pattern(other)).isNotEqualTo(fromA);
    // roughly the configured fraction fails, in every flavour
    long failed = fromA.stream().filter(x -> x != Behavior.OK).count();
    assertThat(failed).isBetween(40L, 120L); // 40% of 200 = 80
    assertThat(fromA).contains(Behavior.UNAVAILABLE, Behavior.RATE_LIMITED, Behavior.SLOW, Behavior.OK);
    assertThat(new FlakyFactsService(42, 0.0, SLOW).behavior("streams", 1)).isEqualTo(Behavior.OK);
    assertThat(a.behavior(FlakyFactsService.POISONED_TOPIC, 1)).isEqualTo(Behavior.POISONED);
  }

  @Test
  void servesTheSeededPatternOverHttpWhateverTheInterleaving() throws Exception {
    Duration slow = Duration.ofMillis(300);
    try (FlakyFactsService service = new FlakyFactsService(9, 0.5, slow).start();
        HttpClient http = HttpClient.newHttpClient()) {
      List<Integer> expected = new ArrayList<>();
      List<Integer> actual = new ArrayList<>();
      int slowCalls = 0;
      for (int call = 1; call <= 6; call++) {
        for (String topic : List.of("retries", "streams")) { // interleaved: each topic counts its own calls
          Behavior b = service.behavior(topic, call);
          expected.add(b.status);
          long t0 = System.nanoTime();
          actual.add(get(http, service.baseUri(), topic).statusCode());
          if (b == Behavior.SLOW) {
            slowCalls++;
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(slow);
          }
        }
      }
      assertThat(actual).isEqualTo(expected);
      assertThat(slowCalls).isPositive(); // seed 9 has a slow call among these: the check above ran
    }
  }

  private static List<Behavior> pattern(FlakyFactsService s) {
    List<Behavior> out = new ArrayList<>();
    for (String topic : List.of("streams", "consumer-groups", "retries", "dead-letters")) {
      for (int call = 1; call <= 50; call++) {
        out.add(s.behavior(topic, call));
      }
    }
    return out;
  }

  private static HttpResponse<String> get(HttpClient http, URI base, String topic) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve("/facts?topic=" + topic)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
