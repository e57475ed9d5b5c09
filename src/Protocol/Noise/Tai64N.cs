using System.Buffers.Binary;

namespace Overlay.Protocol.Noise;

/// <summary>
/// TAI64N timestamp carried (encrypted) in every initiation (whitepaper §5.1; reference/wireguard.md §1.5):
/// 12 bytes, big-endian u64 seconds with the wireguard-go/kernel base <c>0x400000000000000a</c> + unix seconds,
/// then big-endian u32 nanoseconds whitened to a 2^24 ns (~16.8 ms) granularity so the timestamp does not
/// leak a fine-grained clock. Responders only compare timestamps from one peer, bytewise.
/// </summary>
public static class Tai64N
{
    public const int Size = 12;
    public const ulong Base = 0x400000000000000aUL;
    public const uint WhitenerMask = 0x1000000 - 1;

    public static void Write(DateTimeOffset utc, Span<byte> destination)
    {
        long unixTicks = utc.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(unixTicks, TimeSpan.TicksPerSecond, out long rem);
        if (rem < 0) { seconds--; rem += TimeSpan.TicksPerSecond; }
        uint nanos = (uint)(rem * 100) & ~WhitenerMask;
        BinaryPrimitives.WriteUInt64BigEndian(destination, Base + (ulong)seconds);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], nanos);
    }

    /// <summary>True when <paramref name="candidate"/> is strictly later than <paramref name="reference"/> (bytewise, big-endian).</summary>
    public static bool After(ReadOnlySpan<byte> candidate, ReadOnlySpan<byte> reference) =>
        candidate[..Size].SequenceCompareTo(reference[..Size]) > 0;
}
