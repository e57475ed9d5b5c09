using System.Diagnostics;
using System.Text;
using Overlay.Protocol.Stats;
using Overlay.Tests.Fakes;

namespace Overlay.Os.Tests.Node;

/// <summary>
/// Standing fuzz test (issue 12 item 8): a hub and three spokes over the fakes, fed hostile datagrams by
/// <see cref="DatagramFuzzer"/> for a bounded time per seed (a fixed seed, then a random one that the failure
/// message prints). It must never throw, must not allocate per input once warm, and the spokes' sessions must
/// still carry traffic afterwards. The million-input run lives in bench/ (FuzzLongRun).
/// </summary>
public class DatagramFuzzTests
{
    private static readonly TimeSpan PerSeed = TimeSpan.FromSeconds(2);

    private static void RelayWorks(FakeOverlay o, int from, int to, string text)
    {
        byte[] packet = IpPackets.Udp4($"198.19.0.{from + 1}", $"198.19.0.{to + 1}", Encoding.ASCII.GetBytes(text));
        while (o.Spoke(to).Tun.Written.Count > 0) o.Spoke(to).Tun.Written.DequeueCopy();
        o.Spoke(from).Tun.Inject(packet);
        o.Pump();
        Assert.Equal(packet, o.Spoke(to).Tun.Written.DequeueCopy());
    }

    [Theory]
    [InlineData(20261204)]
    [InlineData(-1)]   // a fresh seed each run, printed on failure
    public void HostileDatagrams_NoExceptionNoAllocationSessionsSurvive(int seed)
    {
        if (seed == -1) seed = Environment.TickCount & int.MaxValue;
        var o = FakeOverlay.HubAndSpokes(3);
        var fuzzer = new DatagramFuzzer(o, seed);
        fuzzer.StartCapture();
        o.Start();
        RelayWorks(o, 1, 2, "before 1->2");
        RelayWorks(o, 3, 1, "before 3->1");
        fuzzer.StopCapture();
        Assert.True(fuzzer.Captured > 0);

        try
        {
            // Warm-up: every kind of input once through the data path, so the measurement sees steady state.
            for (int i = 0; i < 20_000; i++) fuzzer.Step();

            var sw = Stopwatch.StartNew();
            long before = GC.GetAllocatedBytesForCurrentThread();
            long inputs = fuzzer.Inputs;
            while (sw.Elapsed < PerSeed)
                for (int i = 0; i < 1000; i++) fuzzer.Step();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            inputs = fuzzer.Inputs - inputs;

            Assert.True(allocated == 0, $"seed {seed}: {allocated} bytes allocated over {inputs} inputs");
            Assert.True(inputs > 10_000, $"seed {seed}: only {inputs} inputs in {PerSeed}");
            // The inputs reached every layer: parsing, index lookup, AEAD, mac1 selection, replay checks.
            var c = o.Hub.DataPath.Counters;
            foreach (DropReason r in new[] { DropReason.InvalidMessage, DropReason.UnknownReceiverIndex, DropReason.AuthenticationFailed,
                         DropReason.Replay, DropReason.InvalidMac1, DropReason.UnexpectedHandshake })
                Assert.True(c.Dropped(r) > 0, $"seed {seed}: no {r} drop at the hub");

            // Let any handshake the fuzzing provoked settle, then the overlay must still relay both ways.
            o.Advance(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
            RelayWorks(o, 1, 2, "after 1->2");
            RelayWorks(o, 2, 3, "after 2->3");
            RelayWorks(o, 3, 1, "after 3->1");
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"fuzz seed {seed} after {fuzzer.Inputs} inputs: {e.GetType().Name}: {e.Message}", e);
        }
    }
}
