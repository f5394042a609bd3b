package dev.baton.internal.broker;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs scripts with EVALSHA. When Redis lost its script cache (restart, failover, SCRIPT FLUSH) the
 * call gets NOSCRIPT; the runner loads the script and retries once, so a flushed cache never fails
 * a task. Calls that get NOSCRIPT while a load of the same script is in flight wait for that load
 * instead of sending their own: a pipelined batch after a flush costs one SCRIPT LOAD, not one per
 * command.
 */
final class ScriptRunner {
  private static final Logger log = LoggerFactory.getLogger(ScriptRunner.class);
  private static final String REPAIRED = "REPAIRED";
  private final Map<Script, String> shas = new EnumMap<>(Script.class);
  private final Map<Script, CompletableFuture<String>> loading = new ConcurrentHashMap<>();

  ScriptRunner() {
    for (Script s : Script.values()) {
      shas.put(s, sha1(s.source()));
    }
  }

  <T> CompletableFuture<T> run(RedisAsyncCommands<String, String> redis, Script script, String[] keys, String... args) {
    script.checkKeyCount(keys.length);
    String sha = shas.get(script);
    CompletableFuture<T> first = redis.<T>evalsha(sha, script.output(), keys, args).toCompletableFuture();
    return first.exceptionallyCompose(e -> {
          if (!(unwrap(e) instanceof RedisNoScriptException)) {
            return CompletableFuture.failedFuture(e);
          }
          return load(redis, script)
              .thenCompose(loaded -> redis.<T>evalsha(loaded, script.output(), keys, args).toCompletableFuture());
        })
        .thenApply(reply -> repaired(script, reply));
  }

  /**
   * A script that found a counter it increments holding something other than an integer (written
   * outside Baton) resets it instead of failing after its writes, and wraps its reply as {@code
   * {'REPAIRED', {{key, field, old value}, ...}, reply}}: the resets are logged at WARN with their key
   * and field, and the caller gets the reply alone.
   */
  @SuppressWarnings("unchecked")
  static <T> T repaired(Script script, T reply) {
    if (reply instanceof List<?> l && l.size() == 3 && REPAIRED.equals(l.get(0)) && l.get(1) instanceof List<?> resets) {
      for (Object o : resets) {
        List<Object> r = (List<Object>) o;
        log.warn("{}.lua reset counter {} of key {}: it held '{}', not an integer (written outside Baton); "
            + "it now counts from this call's change", script.file(), r.get(1), r.get(0), r.get(2));
      }
      return (T) l.get(2);
    }
    return reply;
  }

  /** The in-flight load of {@code script}, or a new one; forgotten once it completes. */
  private CompletableFuture<String> load(RedisAsyncCommands<String, String> redis, Script script) {
    CompletableFuture<String> mine = new CompletableFuture<>();
    CompletableFuture<String> inFlight = loading.putIfAbsent(script, mine);
    if (inFlight != null) {
      return inFlight;
    }
    redis.scriptLoad(script.source()).toCompletableFuture().whenComplete((sha, e) -> {
      loading.remove(script, mine);
      if (e != null) {
        mine.completeExceptionally(e);
      } else {
        mine.complete(sha);
      }
    });
    return mine;
  }

  private static Throwable unwrap(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  private static String sha1(String source) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static StringCodec codec() {
    return StringCodec.UTF8;
  }
}
