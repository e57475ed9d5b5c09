namespace Overlay.Tests.Fakes;

/// <summary>
/// Measures the bytes one thread allocates over a steady-state window, for the zero-allocation
/// guards of the packet path.
///
/// Why not a single <see cref="GC.GetAllocatedBytesForCurrentThread"/> difference: on a loaded
/// machine with test classes running in parallel, a window now and then reads a one-off 4,976-7,944
/// bytes (seen in GRO, tun framing and UDP tests, pure span code among them, never twice in a row)
/// that the code under test does not allocate: runtime bookkeeping on the measuring thread (tier-up,
/// thread statics, pool trimming are candidates; a GC on another thread alone does not do it, we
/// checked). So a window that read more than zero is measured once more (<c>attempts</c> = 2), and
/// that one must read zero. A per-packet allocation shows up in both windows, and so does anything
/// that allocates at least once per window (windows are thousands of packets), so the guard still
/// fails for those.
/// </summary>
public static class AllocationProbe
{
    /// <summary>
    /// Runs <paramref name="round"/> <paramref name="warmUp"/> times, then measures windows of
    /// <paramref name="rounds"/> calls until one allocates nothing or <paramref name="attempts"/>
    /// windows ran; returns the smallest reading and, in <paramref name="windows"/>, how many windows ran
    /// (for tests that also count what the rounds did).
    /// </summary>
    public static long SteadyStateBytes(Action round, int warmUp, int rounds, out int windows, int attempts = 2)
    {
        ArgumentNullException.ThrowIfNull(round);
        for (int i = 0; i < warmUp; i++)
            round();

        long smallest = long.MaxValue;
        windows = 0;
        while (windows < attempts)
        {
            windows++;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rounds; i++)
                round();
            smallest = Math.Min(smallest, GC.GetAllocatedBytesForCurrentThread() - before);
            if (smallest == 0)
                break;
        }
        return smallest;
    }

    /// <inheritdoc cref="SteadyStateBytes(Action, int, int, out int, int)"/>
    public static long SteadyStateBytes(Action round, int warmUp, int rounds, int attempts = 2) =>
        SteadyStateBytes(round, warmUp, rounds, out _, attempts);
}
