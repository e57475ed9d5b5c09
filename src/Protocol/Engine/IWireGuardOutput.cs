
namespace Overlay.Protocol.Engine;

/// <summary>
/// Where the engine's outgoing datagrams go. Implemented by the node and called synchronously from
/// <see cref="WireGuardEngine"/> methods; the span is only valid during the call.
/// </summary>
public interface IWireGuardOutput
{
    /// <summary>A datagram for <paramref name="peer"/>'s current <see cref="WireGuardPeer.Endpoint"/>.</summary>
    void Send(WireGuardPeer peer, ReadOnlySpan<byte> datagram);

    /// <summary>A reply to an unauthenticated source (cookie reply).</summary>
    void SendTo(in UdpEndpoint destination, ReadOnlySpan<byte> datagram);
}
