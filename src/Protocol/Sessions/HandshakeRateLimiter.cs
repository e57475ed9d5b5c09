using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Overlay.Protocol.Sessions;

/// <summary>
/// Per-source-address token bucket for handshake messages that carried a valid cookie while the node is
/// under load (wireguard-go <c>ratelimiter/</c> = kernel <c>ratelimiter.c</c>; reference/wireguard.md §1.6):
/// 20 per second, burst 5. As in the kernel, the port is ignored and IPv6 sources are grouped by /64
/// (<see cref="SourceKey"/>), and the table is capped: once <see cref="MaxEntries"/> sources hold a bucket,
/// a handshake from a new source is refused until the once-a-second sweep frees idle ones, so a spoofed
/// flood costs bounded memory. Idle buckets are swept once a second.
/// </summary>
public sealed class HandshakeRateLimiter
{
    private struct Bucket
    {
        public long Tokens;
        public long Last;
    }

    /// <summary>The kernel's cap on machines with over 1 GiB of RAM: 8192 hash buckets × 8 entries
    /// (<c>ratelimiter.c</c>, <c>max_entries = table_size * 8</c>).</summary>
    public const int KernelMaxEntries = 8192 * 8;

    private readonly Dictionary<SourceKey, Bucket> _buckets = new();
    private readonly int _maxEntries;
    private readonly long _cost;
    private readonly long _maxTokens;
    private readonly long _second;
    private long _lastSweep;

    public HandshakeRateLimiter(long timestampFrequency, int perSecond, int burst, int maxEntries = KernelMaxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        _maxEntries = maxEntries;
        _second = timestampFrequency;
        _cost = timestampFrequency / perSecond;
        _maxTokens = _cost * burst;
    }

    public int Count => _buckets.Count;

    public int MaxEntries => _maxEntries;

    public bool Allow(in UdpEndpoint source, long now)
    {
        var key = SourceKey.Of(source);
        ref Bucket b = ref CollectionsMarshal.GetValueRefOrNullRef(_buckets, key);
        if (Unsafe.IsNullRef(ref b))
        {
            // Full table: refuse the new source rather than grow (the kernel's err_oom path drops too).
            if (_buckets.Count >= _maxEntries) return false;
            b = ref CollectionsMarshal.GetValueRefOrAddDefault(_buckets, key, out _);
            b.Tokens = _maxTokens - _cost;
            b.Last = now;
            return true;
        }
        b.Tokens += now - b.Last;
        b.Last = now;
        if (b.Tokens > _maxTokens) b.Tokens = _maxTokens;
        if (b.Tokens < _cost) return false;
        b.Tokens -= _cost;
        return true;
    }

    /// <summary>Removes buckets idle for over a second (they would be full again anyway).</summary>
    public void Sweep(long now)
    {
        if (now - _lastSweep < _second) return;
        _lastSweep = now;
        foreach (var kv in _buckets)
            if (now - kv.Value.Last > _second) _buckets.Remove(kv.Key);
    }
}
