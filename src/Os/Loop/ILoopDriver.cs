namespace Overlay.Os.Loop;

/// <summary>
/// What the node plugs into <see cref="PollLoop.Run"/>: per-turn hooks and the one deadline
/// that bounds the poll timeout (the earliest protocol timer).
/// </summary>
public interface ILoopDriver
{
    /// <summary>
    /// Start of a turn, after poll returns and before any handler runs. <paramref name="now"/> is the
    /// turn's one clock read, taken by the loop from the <see cref="TimeProvider"/> it was built with
    /// (the engine's clock), so everything handled in the turn sees the time it arrived.
    /// </summary>
    void BeginTurn(long now);

    /// <summary>
    /// The next deadline as a <see cref="TimeProvider.GetTimestamp"/> value of the loop's clock;
    /// <see cref="long.MaxValue"/> when nothing is due. Read before poll and again after dispatch.
    /// </summary>
    long NextDeadlineTimestamp { get; }

    /// <summary>Called once in a turn whose deadline has passed.</summary>
    void OnTimer();

    /// <summary>End of a turn, after handlers and timers: flush batched sends here.</summary>
    void EndTurn();
}
