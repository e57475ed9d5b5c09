using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Engine;

public enum InboundKind
{
    /// <summary>A transport message carrying an IP packet: it is at datagram[Offset..Offset+Length].</summary>
    Data,
    /// <summary>An authenticated empty transport message.</summary>
    Keepalive,
    /// <summary>An initiation or response was consumed (a response may have been sent).</summary>
    HandshakeHandled,
    /// <summary>A cookie reply was stored.</summary>
    CookieHandled,
    /// <summary>The datagram was dropped; <see cref="InboundResult.Reason"/> says why (already counted).</summary>
    Dropped,
}

/// <summary>What <see cref="WireGuardEngine.ProcessDatagram"/> did with one datagram.</summary>
public readonly struct InboundResult
{
    public InboundKind Kind { get; }
    public WireGuardPeer? Peer { get; }
    public int Offset { get; }
    public int Length { get; }
    public DropReason Reason { get; }

    private InboundResult(InboundKind kind, WireGuardPeer? peer, int offset, int length, DropReason reason)
    {
        Kind = kind;
        Peer = peer;
        Offset = offset;
        Length = length;
        Reason = reason;
    }

    internal static InboundResult Data(WireGuardPeer peer, int offset, int length) => new(InboundKind.Data, peer, offset, length, default);
    internal static InboundResult Of(InboundKind kind, WireGuardPeer? peer) => new(kind, peer, 0, 0, default);
    internal static InboundResult Drop(DropReason reason, WireGuardPeer? peer) => new(InboundKind.Dropped, peer, 0, 0, reason);

    /// <summary>
    /// A handshake message (initiation or response) that was well formed and carried a valid mac1 for one of
    /// our identities, whatever happened next: handled, answered with a cookie, rate limited, or failed in
    /// the DH/AEAD steps. Only these count toward the hub's under-load state (issue 12 item 3): junk with
    /// the right first byte never reaches the expensive steps, so it must not force cookies on real spokes.
    /// </summary>
    public bool IsAuthenticHandshake => Kind == InboundKind.HandshakeHandled
        || (Kind == InboundKind.Dropped && Reason is DropReason.UnderLoad or DropReason.RateLimited
            or DropReason.HandshakeFailed or DropReason.HandshakeReplay or DropReason.HandshakeFlood);

    public override string ToString() => Kind == InboundKind.Dropped ? $"Dropped({Reason})" : $"{Kind}({Offset},{Length})";
}

public enum SendResult
{
    /// <summary>Sealed in place and handed to <see cref="IWireGuardOutput.Send"/>.</summary>
    Sent,
    /// <summary>No usable keypair: a copy was staged and a handshake started.</summary>
    Staged,
    /// <summary>Dropped and counted (frame too small, no endpoint).</summary>
    Dropped,
}
