package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class TaskRequestTest {
  @Test
  void defaults() {
    TaskRequest r = TaskRequest.builder("agent").build();
    assertThat(r.agentType()).isEqualTo("agent");
    assertThat(r.payloadJson()).isEqualTo("{}");
    assertThat(r.id()).isNull();
    assertThat(r.maxAttempts()).isEqualTo(TaskRequest.DEFAULT_MAX_ATTEMPTS);
    assertThat(r.timeout()).isNull();
    assertThat(r.delay()).isNull();
    assertThat(r.runAt()).isNull();
    assertThat(r.dedupKey()).isNull();
    assertThat(r.headers()).isEmpty();
    assertThat(r.retryPolicy()).isNull();
  }

  @Test
  void everyOptionIsKept() {
    Instant at = Instant.parse("2030-01-01T00:00:00Z");
    RetryPolicy policy = RetryPolicy.exponential(Duration.ofMillis(5), 3.0, Duration.ofSeconds(9));
    TaskRequest r = TaskRequest.builder("a.b_c-1")
        .payloadJson("[1]").id("id:1.x_y-z").maxAttempts(1000).timeout(Duration.ofMillis(1)).runAt(at)
        .dedupKey("k").header("h", "v").retryPolicy(policy).build();
    assertThat(r.agentType()).isEqualTo("a.b_c-1");
    assertThat(r.payloadJson()).isEqualTo("[1]");
    assertThat(r.id()).isEqualTo("id:1.x_y-z");
    assertThat(r.maxAttempts()).isEqualTo(1000);
    assertThat(r.timeout()).isEqualTo(Duration.ofMillis(1));
    assertThat(r.runAt()).isEqualTo(at);
    assertThat(r.dedupKey()).isEqualTo("k");
    assertThat(r.headers()).isEqualTo(Map.of("h", "v"));
    assertThat(r.retryPolicy()).isEqualTo(policy);
    assertThat(TaskRequest.builder("q").delay(TaskRequest.MAX_DELAY).build().delay()).isEqualTo(Duration.ofDays(365));
    assertThat(TaskRequest.builder("q").delay(Duration.ZERO).build().delay()).isZero();
  }

  @Test
  void headersAreCopiedAndImmutable() {
    Map<String, String> given = new HashMap<>(Map.of("a", "1"));
    TaskRequest r = TaskRequest.builder("q").headers(given).build();
    given.put("b", "2");
    assertThat(r.headers()).isEqualTo(Map.of("a", "1"));
    assertThatThrownBy(() -> r.headers().put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void invalidValuesAreRejectedNamingTheField() {
    rejects("agentType", () -> TaskRequest.builder(null));
    rejects("agentType", () -> TaskRequest.builder(""));
    rejects("agentType", () -> TaskRequest.builder("_x"));
    rejects("agentType", () -> TaskRequest.builder("x".repeat(65)));
    rejects("agentType", () -> TaskRequest.builder("{q}"));
    rejects("id", () -> TaskRequest.builder("q").id(null));
    rejects("id", () -> TaskRequest.builder("q").id(""));
    rejects("id", () -> TaskRequest.builder("q").id("x".repeat(129)));
    rejects("id", () -> TaskRequest.builder("q").id("a b"));
    rejects("maxAttempts", () -> TaskRequest.builder("q").maxAttempts(0));
    rejects("maxAttempts", () -> TaskRequest.builder("q").maxAttempts(TaskRequest.MAX_MAX_ATTEMPTS + 1));
    rejects("timeout", () -> TaskRequest.builder("q").timeout(null));
    rejects("timeout", () -> TaskRequest.builder("q").timeout(Duration.ZERO));
    rejects("timeout", () -> TaskRequest.builder("q").timeout(Duration.ofNanos(999_999)));
    rejects("delay", () -> TaskRequest.builder("q").delay(null));
    rejects("delay", () -> TaskRequest.builder("q").delay(Duration.ofMillis(-1)));
    rejects("delay", () -> TaskRequest.builder("q").delay(TaskRequest.MAX_DELAY.plusMillis(1)));
    rejects("dedupKey", () -> TaskRequest.builder("q").dedupKey(null));
    rejects("dedupKey", () -> TaskRequest.builder("q").dedupKey("a b"));
    rejects("headers", () -> TaskRequest.builder("q").header("", "v"));
    rejects("headers", () -> TaskRequest.builder("q").header(null, "v"));
    rejects("headers", () -> TaskRequest.builder("q").header("n".repeat(257), "v"));
    rejects("headers", () -> TaskRequest.builder("q").header("n", null));
    rejects("headers", () -> TaskRequest.builder("q").header("n", "v".repeat(8193)));
    rejects("payload", () -> TaskRequest.builder("q").payloadJson("{}").payloadJson("[]"));
    assertThatThrownBy(() -> TaskRequest.builder("q").payloadJson(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> TaskRequest.builder("q").retryPolicy(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void delayAndRunAtConflictInEitherOrder() {
    rejects("runAt", () -> TaskRequest.builder("q").delay(Duration.ofSeconds(1)).runAt(Instant.now()));
    rejects("delay", () -> TaskRequest.builder("q").runAt(Instant.now()).delay(Duration.ofSeconds(1)));
  }

  @Test
  void rejectedValuesAreQuotedWithoutControlCharactersAndShortened() {
    assertThatThrownBy(() -> TaskRequest.builder("q").id("evil\r\nSET x y"))
        .isInstanceOf(InvalidTaskException.class)
        .hasMessageContaining("'evil??SET x y'")
        .hasMessageNotContaining("\r").hasMessageNotContaining("\n");
    assertThatThrownBy(() -> TaskRequest.builder("z".repeat(500)))
        .hasMessageContaining("z".repeat(80) + "...").hasMessageNotContaining("z".repeat(81));
  }

  private static void rejects(String field, ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOfSatisfying(InvalidTaskException.class, e -> {
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.getMessage()).startsWith(field + ": ");
    });
  }
}
