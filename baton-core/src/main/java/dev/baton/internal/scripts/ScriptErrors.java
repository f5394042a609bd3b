package dev.baton.internal.scripts;

import dev.baton.BatonException;
import dev.baton.TaskNotFoundException;
import dev.baton.internal.broker.Script;
import dev.baton.resilience.EstimateTooLargeException;
import dev.baton.resilience.PermitLostException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a script's status becomes an exception, for the operations whose callers
 * throw: a missing or unrunnable task (cancel, replay), a lost permit (permit-renew), an estimate
 * over the whole budget (rate-reserve). Each method returns for any status that is no error of its
 * kind, so a gateway calls it on every reply. Other statuses (a refused fence, a refusal) are
 * results, not errors: the gateways return them.
 *
 * <p>Also the one place that reads what the scripts say about data they would not write: a key of
 * the wrong type, which every script reports before its first write as {@code WRONGTYPE
 * <script>.lua: key <key> ...} and which becomes a {@link WrongKeyTypeException} ({@link
 * #typed}); a notification Redis refused after the writes ({@link #unnotified}); task keys a batch
 * script left alone ({@link #skipped}).
 */
final class ScriptErrors {
  private ScriptErrors() {}

  /**
   * @throws TaskNotFoundException for {@link ScriptStatus#NOT_FOUND}
   * @throws BatonException for {@link ScriptStatus#TOMBSTONE}
   */
  static void throwIfTaskError(ScriptStatus status, String id) {
    switch (status) {
      case NOT_FOUND -> throw new TaskNotFoundException(id);
      case TOMBSTONE -> throw new BatonException(
          "task " + id + " is a tombstone of an unreadable stream entry and cannot run; purge it");
      default -> {}
    }
  }

  /** @throws PermitLostException for {@link ScriptStatus#NOT_HELD} */
  static void throwIfPermitError(ScriptStatus status, String limit, String key, String token) {
    if (status == ScriptStatus.NOT_HELD) {
      throw new PermitLostException("permit " + token + " of limit '" + limit + "' key '" + key
          + "' is no longer held: released, or its lease ran out");
    }
  }

  /** @throws EstimateTooLargeException for {@link ScriptStatus#TOO_LARGE} */
  static void throwIfReservationError(ScriptStatus status, String limit, long units, long budget) {
    if (status == ScriptStatus.TOO_LARGE) {
      throw new EstimateTooLargeException(limit, units, budget);
    }
  }

  private static final Logger log = LoggerFactory.getLogger(ScriptErrors.class);
  /** The error every script raises, before any write, for a key of the wrong type. */
  private static final Pattern WRONG_TYPE =
      Pattern.compile("WRONGTYPE (\\S+)\\.lua: key (\\S+) holds a (\\S+), not a (\\S+); nothing was written");
  private static final long UNNOTIFIED_LOG_EVERY_MS = 60_000;
  private static final Map<Script, Long> lastUnnotifiedLog = new ConcurrentHashMap<>();

  /**
   * Runs a script call and turns a script's wrong-typed-key error into a {@link
   * WrongKeyTypeException} naming the script and the key; other failures pass unchanged.
   */
  static <T> T typed(Supplier<T> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      WrongKeyTypeException typed = wrongType(e);
      if (typed != null) {
        throw typed;
      }
      throw e;
    }
  }

  /** {@link #typed(Supplier)} for an asynchronous call: the future fails with the typed exception. */
  static <T> CompletableFuture<T> typed(CompletableFuture<T> call) {
    return call.exceptionallyCompose(e -> {
      WrongKeyTypeException typed = wrongType(e);
      return CompletableFuture.failedFuture(typed != null ? typed : e);
    });
  }

  /** The typed exception for a script's WRONGTYPE error anywhere in {@code e}'s causes, or null. */
  static WrongKeyTypeException wrongType(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof WrongKeyTypeException w) {
        return w;
      }
      String m = c.getMessage();
      if (m != null && !(c instanceof CompletionException)) {
        Matcher w = WRONG_TYPE.matcher(m);
        if (w.find()) {
          return new WrongKeyTypeException(w.group(1), w.group(2), w.group(3), w.group(4), c);
        }
      }
    }
    return null;
  }

  /**
   * Reports that {@code script} made its writes but Redis refused its PUBLISH on the finished
   * channel (an ACL without that channel): the data is whole, only the notification is missing, and
   * waiters still learn of the outcome by re-reading the record. Logged at WARN at most once a minute
   * per script.
   */
  static void unnotified(Script script, String queue, Object error) {
    unnotifiedAt(script, queue.startsWith("dependency ") ? queue : "queue " + queue, error);
  }

  private static void unnotifiedAt(Script script, String where, Object error) {
    if (error == null) {
      return;
    }
    long now = System.currentTimeMillis();
    Long last = lastUnnotifiedLog.get(script);
    if (last == null || now - last >= UNNOTIFIED_LOG_EVERY_MS) {
      lastUnnotifiedLog.put(script, now);
      log.warn("{}.lua wrote its changes to {}, but Redis refused to notify them ({}): the data is whole, and "
          + "readers see it on their next re-read; grant Baton's ACL user the channel (further refusals of this "
          + "script are not logged for a minute)", script.file(), where, error);
    }
  }

  private static final Map<Script, Long> lastSkippedLog = new ConcurrentHashMap<>();

  /**
   * Reports the task keys {@code script} left alone because they hold another type than a hash
   * (written outside Baton): their entries stay pending until the keys are repaired or deleted.
   * Logged at ERROR at most once a minute per script.
   */
  static void skipped(Script script, String queue, List<String> keys) {
    if (keys.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    Long last = lastSkippedLog.get(script);
    if (last == null || now - last >= UNNOTIFIED_LOG_EVERY_MS) {
      lastSkippedLog.put(script, now);
      log.error("{}.lua left the pending entries of {} task key(s) of queue {} alone: {} hold(s) another type "
          + "than a hash (written outside Baton); repair or delete them (further reports of this script are not "
          + "logged for a minute)", script.file(), keys.size(), queue, keys);
    }
  }
}
