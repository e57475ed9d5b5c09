namespace Overlay.Os.Loop;

/// <summary>
/// Called on the loop thread when a registered fd is readable, or when poll reports
/// POLLERR/POLLHUP/POLLNVAL for it (the handler's next read sees the error). A handler
/// drains what it can without blocking and returns.
/// </summary>
public interface IPollHandler
{
    void OnReadable();
}

/// <summary>
/// What the node plugs into <see cref="PollLoop.Run"/>: per-turn hooks and the one deadline
/// that bounds the poll timeout (the earliest protocol timer).
/// </summary>
public interface ILoopDriver
{
    /// <summary>Start of a turn, before poll: read the clock once here.</summary>
    void BeginTurn();

    /// <summary>
    /// The next deadline as a <see cref="TimeProvider.GetTimestamp"/> value of
    /// <see cref="TimeProvider.System"/>; <see cref="long.MaxValue"/> when nothing is due.
    /// Read before poll and again after dispatch.
    /// </summary>
    long NextDeadlineTimestamp { get; }

    /// <summary>Called once in a turn whose deadline has passed.</summary>
    void OnTimer();

    /// <summary>End of a turn, after handlers and timers: flush batched sends here.</summary>
    void EndTurn();
}
