package dev.baton.internal.scripts;

import dev.baton.internal.broker.Script;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What a script's status code means: the one place that maps the integer codes the Lua scripts
 * return to meanings. Each constant has one code; a script returns a few of them, listed below
 * (and in its header, under "Status codes", and as named locals at its top). The same code means
 * different things in different scripts (0 is {@link #EXISTS} for enqueue and {@link #REFUSED} for
 * permit-acquire), so a code is decoded with the script that returned it: {@link #of(Script, long)}.
 * Scripts not listed return counts or data, no status. ScriptStatusSyncTest checks this table
 * against the scripts.
 */
public enum ScriptStatus {
  /** Done as asked: created, started, recorded, parked, cancelled, replayed, renewed, granted, released. */
  OK(1),
  /** enqueue: a task with this id exists (nothing written); dead-entry: the tombstone exists. */
  EXISTS(0),
  /** enqueue: the dedup key is held by another task; nothing written. */
  DUPLICATE(2),
  /** start: the entry is not runnable (its task finished, was cancelled, or moved on); acknowledged. */
  SKIPPED(0),
  /** start: the task was dead-lettered here (record missing or malformed, attempts exhausted). */
  DEAD_LETTERED(-1),
  /** The fence failed: the caller no longer holds this attempt (or permit); nothing written. */
  NOT_HELD(-1),
  /** The task record does not exist; nothing written. */
  NOT_FOUND(-2),
  /** cancel, replay: the task is not in a state that allows it; nothing written. */
  WRONG_STATE(0),
  /** replay: a tombstone without a payload, which cannot run again. */
  TOMBSTONE(-3),
  /** breaker-acquire: allowed as a half-open probe; a probe lease was taken. */
  PROBE(2),
  /** Refused for now: breaker open or probes taken, rate budget spent, no permit free. */
  REFUSED(0),
  /** Nothing to do, nothing written: an outcome ignored, a reconciliation already made, a permit not held. */
  UNCHANGED(0),
  /** rate-reserve: more units than the whole budget; can never be granted. */
  TOO_LARGE(-1),
  /** permit-release: the lease had run out before the release (the permit was removed now). */
  EXPIRED(-1);

  private static final Map<Script, ScriptStatus[]> RETURNED = new EnumMap<>(Script.class);

  static {
    returns(Script.ENQUEUE, OK, EXISTS, DUPLICATE);
    returns(Script.START, OK, SKIPPED, DEAD_LETTERED);
    returns(Script.COMPLETE, OK, NOT_HELD, NOT_FOUND);
    returns(Script.FAIL, OK, NOT_HELD, NOT_FOUND);
    returns(Script.PARK, OK, NOT_HELD, NOT_FOUND);
    returns(Script.RENEW, OK, NOT_HELD);
    returns(Script.CANCEL, OK, WRONG_STATE, NOT_FOUND);
    returns(Script.REPLAY, OK, WRONG_STATE, NOT_FOUND, TOMBSTONE);
    returns(Script.DEAD_ENTRY, OK, EXISTS);
    returns(Script.BREAKER_ACQUIRE, OK, PROBE, REFUSED);
    returns(Script.BREAKER_RECORD, OK, UNCHANGED);
    returns(Script.RATE_RESERVE, OK, REFUSED, TOO_LARGE);
    returns(Script.RATE_RECONCILE, OK, UNCHANGED);
    returns(Script.PERMIT_ACQUIRE, OK, REFUSED);
    returns(Script.PERMIT_RENEW, OK, NOT_HELD);
    returns(Script.PERMIT_RELEASE, OK, UNCHANGED, EXPIRED);
    returns(Script.ENQUEUE_V2, OK, EXISTS, DUPLICATE);
    returns(Script.CYCLE_V2, OK, NOT_HELD, NOT_FOUND);
    returns(Script.FAIL_V2, OK, NOT_HELD, NOT_FOUND);
    returns(Script.PARK_V2, OK, NOT_HELD, NOT_FOUND);
    returns(Script.RELEASE_V2, OK, NOT_HELD, UNCHANGED);
    returns(Script.RENEW_V2, OK, NOT_HELD);
    returns(Script.CANCEL_V2, OK, WRONG_STATE, NOT_FOUND);
    returns(Script.REPLAY_V2, OK, WRONG_STATE, NOT_FOUND, TOMBSTONE);
  }

  private final int code;

  ScriptStatus(int code) {
    this.code = code;
  }

  /** The integer the scripts return for this status. */
  public int code() {
    return code;
  }

  /** The statuses {@code script} returns; empty for a script that returns counts or data. */
  public static List<ScriptStatus> returnedBy(Script script) {
    return List.of(RETURNED.getOrDefault(script, new ScriptStatus[0]));
  }

  /**
   * The status {@code code} means when {@code script} returns it.
   *
   * @throws IllegalStateException when the script does not declare that code (a reply Baton did not write)
   */
  public static ScriptStatus of(Script script, long code) {
    ScriptStatus[] statuses = RETURNED.get(script);
    if (statuses != null) {
      for (ScriptStatus s : statuses) {
        if (s.code == code) {
          return s;
        }
      }
    }
    throw new IllegalStateException(script.file() + ".lua returned status " + code + ", which it does not declare");
  }

  /** {@link #of(Script, long)} of the first element of a reply {@code {code, ...}}. */
  static ScriptStatus ofFirst(Script script, Object reply) {
    return of(script, (Long) ((List<?>) reply).get(0));
  }

  private static void returns(Script script, ScriptStatus... statuses) {
    for (int i = 0; i < statuses.length; i++) {
      for (int j = 0; j < i; j++) {
        if (statuses[i].code == statuses[j].code) {
          throw new ExceptionInInitializerError(script.file() + ": " + statuses[i] + " and " + statuses[j]
              + " share code " + statuses[i].code);
        }
      }
    }
    RETURNED.put(script, statuses);
  }
}
