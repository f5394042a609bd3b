package dev.baton;

/**
 * {@link Inspector#replayAll} stopped part-way: a call failed (its cause says why, typically a
 * {@link RedisUnavailableException}). The {@link #replayed()} dead letters replayed before the
 * failure stay replayed; {@link #notAttempted()} were not looked at, including the one whose replay
 * failed (it may or may not have been replayed: the outcome of a write that met a failure is
 * unknown). Calling {@code replayAll} again replays what is still dead.
 *
 * <p>Instances are immutable and may be shared between threads.
 */
public final class PartialReplayException extends BatonException {
  private static final long serialVersionUID = 1L;

  /** The agent type whose dead letters were being replayed. */
  private final String agentType;
  /** Dead letters replayed before the failure. */
  private final int replayed;
  /** Dead letters not replayed. */
  private final int notAttempted;

  /**
   * An exception for a replay of {@code agentType}'s dead letters stopped by {@code cause}.
   *
   * @param agentType the agent type whose dead letters were being replayed
   * @param replayed dead letters replayed before the failure
   * @param notAttempted dead letters not replayed, counting the one whose replay failed
   * @param cause the failure that stopped the replay
   */
  public PartialReplayException(String agentType, int replayed, int notAttempted, BatonException cause) {
    super("replay of the dead letters of '" + agentType + "' stopped after " + replayed + " replayed, "
        + notAttempted + " not replayed: " + cause.getMessage(), cause);
    this.agentType = agentType;
    this.replayed = replayed;
    this.notAttempted = notAttempted;
  }

  /**
   * The agent type whose dead letters were being replayed.
   *
   * @return the agent type
   */
  public String agentType() {
    return agentType;
  }

  /**
   * Dead letters replayed before the replay stopped.
   *
   * @return how many were replayed
   */
  public int replayed() {
    return replayed;
  }

  /**
   * Dead letters left as they were, counting the one whose replay failed (its outcome is unknown).
   *
   * @return how many were not replayed
   */
  public int notAttempted() {
    return notAttempted;
  }
}
