using Overlay.Protocol.Engine;

namespace Overlay.Protocol.Tests.Engine;

public class AllocationTests
{
    /// <summary>STYLE.md "Hot path": sealing and opening transport packets allocates nothing once warm.</summary>
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

        long start = GC.GetAllocatedBytesForCurrentThread();
        for (uint i = 0; i < 5_000; i++)
        {
            int size = (int)(i % 1300) + 4;
            net.A.BeginTurn(net.Time.GetTimestamp());
            net.A.SendPacket(net.PeerAtA, frame, TwoEngineNetwork.WriteIpv4(frame, size, i));
            net.B.BeginTurn(net.Time.GetTimestamp());
            net.B.SendPacket(net.PeerAtB, frame, TwoEngineNetwork.WriteIpv4(frame, size, i));
            net.Pump();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - start;

        Assert.Equal(10_000, net.DataAtA + net.DataAtB - before);
        Assert.Equal(0, allocated);
    }
}
