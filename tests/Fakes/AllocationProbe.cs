namespace Overlay.Tests.Fakes;

/// <summary>
/// Measures the bytes one thread allocates over a steady-state window, for the zero-allocation
/// guards of the packet path.
///
/// Why not a single <see cref="GC.GetAllocatedBytesForCurrentThread"/> difference: test classes run
/// in parallel, and when another thread's allocations trigger a GC while the window is open, the
/// measuring thread's allocation context is retired and the reading can be off by up to one
/// allocation quantum (seen as 4,976-7,944 bytes in GRO, tun framing and UDP tests on a loaded
/// machine, never twice in a row). A window that saw a GC is therefore measured again, up to
/// <c>attempts</c> times; a real per-packet allocation shows up in every window, GC or not, so the
/// guard still fails for it.
/// </summary>
public static class AllocationProbe
{
    /// <summary>
    /// Runs <paramref name="round"/> <paramref name="warmUp"/> times, then measures
    /// <paramref name="rounds"/> calls; returns the bytes of the first window during which no GC ran,
    /// or the smallest reading when every window saw one.
    /// </summary>
    public static long SteadyStateBytes(Action round, int warmUp, int rounds, int attempts = 5)
    {
        ArgumentNullException.ThrowIfNull(round);
        for (int i = 0; i < warmUp; i++)
            round();

        long smallest = long.MaxValue;
        for (int attempt = 0; attempt < attempts; attempt++)
        {
            int collections = GC.CollectionCount(0);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rounds; i++)
                round();
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            if (GC.CollectionCount(0) == collections)
                return bytes;
            smallest = Math.Min(smallest, bytes);
        }
        return smallest;
    }
}
