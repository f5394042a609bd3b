package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.internal.broker.Keys;
import dev.baton.testing.RedisExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Payloads of 65 to 512 bytes are stored in pieces of at most 64 bytes so that the record stays a
 * listpack; the handler and the inspector see the payload exactly as enqueued, also when a piece
 * boundary falls inside a multi-byte character.
 */
class PayloadPiecesIT {
  @RegisterExtension static final RedisExtension redis = new RedisExtension();

  private static final String Q = "pieces";

  @Test
  void aPayloadStoredInPiecesReachesTheHandlerAndTheInspectorWhole() throws Exception {
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    Map<String, String> payloads = new LinkedHashMap<>();
    payloads.put("short", json(60, ""));
    payloads.put("at-limit", json(64, ""));
    payloads.put("just-over", json(65, ""));
    payloads.put("hundred", json(100, ""));
    payloads.put("accents", json(130, "é")); // 2-byte characters across every boundary
    payloads.put("emoji", json(300, "\uD83D\uDE00")); // 4-byte characters
    payloads.put("largest-in-pieces", json(512, ""));
    payloads.put("whole", json(600, ""));
    List<TaskRequest> requests = new ArrayList<>();
    payloads.forEach((id, p) -> requests.add(TaskRequest.builder(Q).id(id).payloadJson(p).build()));
    baton.dispatcher().enqueueAll(requests);

    // what is stored: one field up to 64 bytes, pieces of at most 64 bytes up to 512, else whole
    assertThat(raw.hget(k.task(Q, "at-limit"), "p")).isEqualTo(payloads.get("at-limit"));
    assertThat(raw.hexists(k.task(Q, "at-limit"), "p2")).isFalse();
    assertThat(raw.hexists(k.task(Q, "just-over"), "p2")).isTrue();
    assertThat(raw.hexists(k.task(Q, "whole"), "p2")).isFalse();
    assertThat(raw.hget(k.task(Q, "whole"), "p")).isEqualTo(payloads.get("whole"));
    for (String id : List.of("hundred", "accents", "emoji", "largest-in-pieces")) {
      Map<String, String> rec = raw.hgetall(k.task(Q, id));
      assertThat(rec.keySet()).doesNotContain("p9");
      for (Map.Entry<String, String> e : rec.entrySet()) {
        assertThat(e.getValue().getBytes(StandardCharsets.UTF_8).length).as(e.getKey()).isLessThanOrEqualTo(64);
      }
    }
    assertThat(raw.objectEncoding(k.task(Q, "hundred"))).isEqualTo("listpack");

    for (Map.Entry<String, String> e : payloads.entrySet()) {
      assertThat(baton.inspector().task(Q, e.getKey())).get().extracting(TaskInfo::payloadJson).isEqualTo(e.getValue());
    }
    Map<String, String> seen = new java.util.concurrent.ConcurrentHashMap<>();
    redis.closeAfter(Worker.builder(baton)
        .handle(Q, HandlerOptions.withConcurrency(4), ctx -> {
          seen.put(ctx.taskId(), ctx.payloadJson());
          return null;
        })
        .build()
        .start());
    for (String id : payloads.keySet()) {
      assertThat(baton.dispatcher().awaitResult(id, Duration.ofSeconds(10)).state()).isEqualTo(TaskState.SUCCEEDED);
    }
    assertThat(seen).isEqualTo(payloads);
  }

  @Test
  void theCommonRecordIsWrittenLikeTheGeneralOne() {
    // a task due now with no options and a payload of at most two pieces takes enqueue.lua's
    // direct path; a header sends the same payload down the general one
    BatonClient baton = redis.client();
    Keys k = new Keys(redis.prefix());
    RedisCommands<String, String> raw = redis.raw();
    List<String> payloads = List.of(json(1, ""), json(64, ""), json(65, ""), json(100, ""), json(127, "é"),
        json(128, "é"), json(128, ""), json(129, ""));
    for (int i = 0; i < payloads.size(); i++) {
      String payload = payloads.get(i);
      baton.dispatcher().enqueue(TaskRequest.builder(Q).id("plain-" + i).payloadJson(payload).build());
      baton.dispatcher().enqueue(TaskRequest.builder(Q).id("general-" + i).payloadJson(payload).header("k", "v").build());
      Map<String, String> plain = raw.hgetall(k.task(Q, "plain-" + i));
      Map<String, String> general = raw.hgetall(k.task(Q, "general-" + i));
      assertThat(general.remove("h")).isEqualTo("{\"k\":\"v\"}");
      for (String varies : List.of("id", "eid", "ct", "sa")) {
        assertThat(plain.remove(varies)).as(varies).isNotNull();
        assertThat(general.remove(varies)).as(varies).isNotNull();
      }
      assertThat(plain).as("payload of %d bytes", utf8(payload)).isEqualTo(general).containsEntry("st", "queued");
      assertThat(baton.inspector().task(Q, "plain-" + i)).get().extracting(TaskInfo::payloadJson).isEqualTo(payload);
    }
    // 63 bytes fit before the first 2-byte character that crosses byte 64: 127 bytes make two pieces, 128 three
    assertThat(raw.hexists(k.task(Q, "plain-4"), "p3")).isFalse();
    assertThat(raw.hget(k.task(Q, "plain-5"), "p3")).isEqualTo("\"");
  }

  /** A JSON string value whose text is {@code bytes} UTF-8 bytes long, made of {@code filler} then 'x'. */
  private static String json(int bytes, String filler) {
    StringBuilder b = new StringBuilder("\"");
    int fillerBytes = filler.getBytes(StandardCharsets.UTF_8).length;
    while (!filler.isEmpty() && utf8(b) + fillerBytes + 1 <= bytes) {
      b.append(filler);
    }
    while (utf8(b) + 1 < bytes) {
      b.append('x');
    }
    return b.append('"').toString();
  }

  private static int utf8(CharSequence s) {
    return s.toString().getBytes(StandardCharsets.UTF_8).length;
  }
}
