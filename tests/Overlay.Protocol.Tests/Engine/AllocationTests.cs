using Overlay.Protocol.Engine;
using Overlay.Tests.Fakes;

namespace Overlay.Protocol.Tests.Engine;

public class AllocationTests
{
    /// <summary>
    /// STYLE.md "Hot path": sealing and opening transport packets allocates nothing once warm. The sizes
    /// (24..1,323 bytes) span libsodium and OpenSSL (ChaChaPolyKey.DirectMinimumLength, or FrameworkMinimumLength without the direct binding).
    /// </summary>
    [Fact]
    public void TransportPackets_AfterWarmUp_AllocateZeroBytes()
    {
        var net = new TwoEngineNetwork();
        net.Establish();
        var frame = new byte[2048];
        for (uint i = 0; i < 200; i++)
        {
            net.SendAToB(frame, 100, i);
            net.SendBToA(frame, 100, i);
        }
        int before = net.DataAtA + net.DataAtB;

        uint n = 0;
        void Round()
        {
            int size = (int)(n % 1300) + 4;
            net.A.BeginTurn(net.Time.GetTimestamp());
            net.A.SendPacket(net.PeerAtA, frame, TwoEngineNetwork.WriteIpv4(frame, size, n));
            net.B.BeginTurn(net.Time.GetTimestamp());
            net.B.SendPacket(net.PeerAtB, frame, TwoEngineNetwork.WriteIpv4(frame, size, n));
            net.Pump();
            n++;
        }
        long allocated = AllocationProbe.SteadyStateBytes(Round, warmUp: 0, rounds: 5_000, out int windows);

        Assert.Equal(10_000 * windows, net.DataAtA + net.DataAtB - before);
        Assert.Equal(0, allocated);
        Assert.InRange(Overlay.Protocol.Crypto.ChaChaPolyKey.DirectMinimumLength, 24, 1323);
        Assert.InRange(Overlay.Protocol.Crypto.ChaChaPolyKey.FrameworkMinimumLength, 24, 1323);
    }
}
