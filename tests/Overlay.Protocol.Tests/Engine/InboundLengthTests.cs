using System.Buffers.Binary;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Tests.Engine;

/// <summary>
/// The receive path trims a decrypted packet to the length its IP header declares (whitepaper §5.4.6) and drops
/// anything that is not a whole IPv4/IPv6 packet as <c>not_ip</c>. The rows pin the edges: a header shorter than
/// its minimum, a declared length past the plaintext, zero padding trimmed. Plaintext lengths are multiples of 16
/// so the sender adds no padding of its own.
/// </summary>
public class InboundLengthTests
{
    [Theory]
    [InlineData(0x45, 48, 48, 48)]     // IPv4, declared = plaintext
    [InlineData(0x45, 48, 24, 24)]     // IPv4, trailing zeros trimmed
    [InlineData(0x45, 48, 20, 20)]     // IPv4, header only
    [InlineData(0x45, 48, 19, -1)]     // IPv4 total length below the 20-byte header
    [InlineData(0x45, 48, 0, -1)]
    [InlineData(0x45, 48, 49, -1)]     // IPv4 declares more than arrived
    [InlineData(0x45, 16, 16, -1)]     // shorter than an IPv4 header
    [InlineData(0x60, 48, 8, 48)]      // IPv6, payload length 8 + 40
    [InlineData(0x60, 48, 0, 40)]      // IPv6, header only, padding trimmed
    [InlineData(0x60, 48, 9, -1)]      // IPv6 declares more than arrived
    [InlineData(0x60, 32, 0, -1)]      // shorter than an IPv6 header
    [InlineData(0x55, 48, 48, -1)]     // version 5
    public void ProcessDatagram_InnerLength_TrimmedOrDroppedNotIp(byte firstByte, int plaintext, int field, int expected)
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        var frame = new byte[2048];
        Span<byte> p = frame.AsSpan(16, plaintext);
        p.Clear();
        p[0] = firstByte;
        if (firstByte >> 4 == 6) BinaryPrimitives.WriteUInt16BigEndian(p[4..], (ushort)field);
        else BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)field);
        long droppedBefore = net.CountersB.Dropped(DropReason.NotIp);

        net.A.BeginTurn(net.Time.GetTimestamp());
        Assert.Equal(SendResult.Sent, net.A.SendPacket(net.PeerAtA, frame, plaintext));
        net.Pump();

        if (expected < 0)
        {
            Assert.Equal(InboundKind.Dropped, net.LastAtB.Kind);
            Assert.Equal(DropReason.NotIp, net.LastAtB.Reason);
            Assert.Equal(droppedBefore + 1, net.CountersB.Dropped(DropReason.NotIp));
        }
        else
        {
            Assert.Equal(InboundKind.Data, net.LastAtB.Kind);
            Assert.Equal(expected, net.LastAtB.Length);
        }
    }
}
