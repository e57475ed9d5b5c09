namespace Overlay.Protocol.Stats;

/// <summary>
/// Node-wide traffic and drop counters. Plain fields written only by the loop thread;
/// readers on other threads (control socket) take a snapshot with <see cref="Volatile"/>
/// reads and tolerate a torn view across fields (each long is read atomically on 64-bit).
/// </summary>
public sealed class Counters
{
    private readonly long[] _drops = new long[DropReasons.Count];

    public long TunRxPackets, TunRxBytes, TunTxPackets, TunTxBytes;
    public long UdpRxPackets, UdpRxBytes, UdpTxPackets, UdpTxBytes;
    public long RelayPackets, RelayBytes;
    public long HandshakeInitiationsSent, HandshakeInitiationsReceived;
    public long HandshakeResponsesSent, HandshakeResponsesReceived;
    public long CookieRepliesSent, CookieRepliesReceived;
    public long KeepalivesSent, KeepalivesReceived;
    public long SessionsEstablished;

    public void Drop(DropReason reason) => _drops[(int)reason]++;

    public void Drop(DropReason reason, long count) => _drops[(int)reason] += count;

    public long Dropped(DropReason reason) => Volatile.Read(ref _drops[(int)reason]);

    public long TotalDropped
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _drops.Length; i++) sum += Volatile.Read(ref _drops[i]);
            return sum;
        }
    }
}
