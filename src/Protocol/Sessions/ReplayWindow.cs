namespace Overlay.Protocol.Sessions;

/// <summary>
/// Sliding anti-replay window for transport counters (whitepaper §5.4.6, RFC 6479 ring; the kernel's
/// <c>counter_validate</c> and wireguard-go <c>replay/replay.go</c> since 2020): 128 blocks × 64 bits,
/// of which one block is always being recycled, so 8128 counters behind the highest seen are tracked.
/// Counters at or above the limit (REJECT_AFTER_MESSAGES) are rejected.
/// The check is split (as boringtun does): <see cref="CanAccept"/> mutates nothing and runs before
/// decryption, so a forged packet cannot move the window; <see cref="Mark"/> runs only after the AEAD
/// authenticated the counter.
/// </summary>
public sealed class ReplayWindow
{
    private const int BlockBitLog = 6;
    private const int BlockBits = 1 << BlockBitLog;       // 64
    private const int RingBlocks = 128;
    private const ulong BlockMask = RingBlocks - 1;
    private const ulong BitMask = BlockBits - 1;
    public const ulong WindowSize = (RingBlocks - 1) * BlockBits; // 8128

    private readonly ulong[] _ring = new ulong[RingBlocks];
    private ulong _last;

    public void Reset()
    {
        _last = 0;
        Array.Clear(_ring);
    }

    /// <summary>Pre-check without side effects: false if the counter is over the limit, too old, or already seen.</summary>
    public bool CanAccept(ulong counter, ulong limit)
    {
        if (counter >= limit) return false;
        if (counter > _last) return true;
        if (_last - counter > WindowSize) return false;
        ulong block = (counter >> BlockBitLog) & BlockMask;
        return (_ring[block] & (1UL << (int)(counter & BitMask))) == 0;
    }

    /// <summary>Records an authenticated counter; returns false if it was not acceptable (replay, too old, over limit).</summary>
    public bool Mark(ulong counter, ulong limit)
    {
        if (counter >= limit) return false;
        ulong indexBlock = counter >> BlockBitLog;
        if (counter > _last)
        {
            ulong current = _last >> BlockBitLog;
            ulong diff = indexBlock - current;
            if (diff > RingBlocks) diff = RingBlocks;
            for (ulong i = current + 1; i <= current + diff; i++)
                _ring[i & BlockMask] = 0;
            _last = counter;
        }
        else if (_last - counter > WindowSize)
        {
            return false;
        }
        indexBlock &= BlockMask;
        ulong bit = 1UL << (int)(counter & BitMask);
        ulong old = _ring[indexBlock];
        _ring[indexBlock] = old | bit;
        return (old & bit) == 0;
    }
}
