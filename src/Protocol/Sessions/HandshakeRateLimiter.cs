using System.Runtime.InteropServices;

namespace Overlay.Protocol.Sessions;

/// <summary>
/// Per-source-address token bucket for handshake messages that carried a valid cookie while the node is
/// under load (wireguard-go <c>ratelimiter/</c> = kernel <c>ratelimiter.c</c>; reference/wireguard.md §1.6):
/// 20 per second, burst 5. The port is ignored, as in the kernel. Idle buckets are swept once a second.
/// </summary>
public sealed class HandshakeRateLimiter
{
    private struct Bucket
    {
        public long Tokens;
        public long Last;
    }

    private readonly Dictionary<UdpEndpoint, Bucket> _buckets = new();
    private readonly long _cost;
    private readonly long _maxTokens;
    private readonly long _second;
    private long _lastSweep;

    public HandshakeRateLimiter(long timestampFrequency, int perSecond, int burst)
    {
        _second = timestampFrequency;
        _cost = timestampFrequency / perSecond;
        _maxTokens = _cost * burst;
    }

    public int Count => _buckets.Count;

    public bool Allow(in UdpEndpoint source, long now)
    {
        Span<byte> address = stackalloc byte[16];
        int n = source.WriteAddress(address);
        var key = new UdpEndpoint(address[..n], 0);
        ref Bucket b = ref CollectionsMarshal.GetValueRefOrAddDefault(_buckets, key, out bool exists);
        if (!exists)
        {
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
