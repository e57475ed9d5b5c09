using System.Net;
using Overlay.Os.Udp;
using Overlay.Protocol;

namespace Overlay.Os.Tests.Udp;

/// <summary>
/// Seeded datagrams over 127.0.0.1 for the GSO and GRO socket tests: payload byte k of datagram
/// <c>seed</c> is <c>seed * 31 + k</c>, so order and content are checked byte for byte.
/// </summary>
internal static class LoopbackDatagrams
{
    public static UdpEndpoint EndpointOf(UdpSocket socket) => UdpEndpoint.From(new IPEndPoint(IPAddress.Loopback, socket.LocalPort));

    /// <summary>Entry <paramref name="i"/> of <paramref name="batch"/>: <paramref name="length"/> seeded bytes to <paramref name="destination"/>.</summary>
    public static void Put(DatagramBatch batch, int i, int length, UdpEndpoint destination, int seed)
    {
        batch.Length(i) = length;
        Span<byte> payload = batch.Payload(i);
        for (int k = 0; k < length; k++) payload[k] = (byte)(seed * 31 + k);
        batch.Endpoint(i) = destination;
    }

    /// <summary>The payload <see cref="Put"/> writes for <paramref name="seed"/>.</summary>
    public static byte[] Expected(int length, int seed)
    {
        var b = new byte[length];
        for (int k = 0; k < length; k++) b[k] = (byte)(seed * 31 + k);
        return b;
    }
}
