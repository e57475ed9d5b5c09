using System.Diagnostics;
using Overlay.Tests.Fakes;

namespace Overlay.Benchmarks.Node;

/// <summary>
/// The long run of the datagram fuzz test (tests/Overlay.Os.Tests/Node/DatagramFuzzTests.cs): a hub and three
/// spokes over the fakes fed <c>--inputs</c> hostile datagrams (default 1,000,000) from <c>--seed</c> (default
/// random, printed), then a relay check. Run: <c>dotnet run -c Release --project bench/Overlay.Benchmarks -- fuzz
/// [--inputs N] [--seed S]</c>. Exit 0 on success, 1 with the seed on any failure.
/// </summary>
public static class FuzzLongRun
{
    public static int Run(string[] args)
    {
        long inputs = 1_000_000;
        int seed = Environment.TickCount & int.MaxValue;
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--inputs") inputs = long.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
            else if (args[i] == "--seed") seed = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture);
        }
        Console.WriteLine($"fuzz: seed {seed}, {inputs} inputs");
        var o = FakeOverlay.HubAndSpokes(3);
        var fuzzer = new DatagramFuzzer(o, seed);
        try
        {
            fuzzer.StartCapture();
            o.Start();
            Relay(o, 1, 2);
            fuzzer.StopCapture();
            var sw = Stopwatch.StartNew();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            while (fuzzer.Inputs < inputs) fuzzer.Step();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            o.Advance(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
            Relay(o, 1, 2);
            Relay(o, 2, 3);
            Relay(o, 3, 1);
            Console.WriteLine($"fuzz: ok, {fuzzer.Inputs} inputs in {sw.Elapsed.TotalSeconds:F1} s, {allocated} bytes allocated, " +
                $"hub drops {o.Hub.DataPath.Counters.TotalDropped}, sessions still relay");
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"fuzz: FAILED with seed {seed} after {fuzzer.Inputs} inputs: {e}");
            return 1;
        }
    }

    private static void Relay(FakeOverlay o, int from, int to)
    {
        byte[] packet = IpPackets.Udp4($"198.19.0.{from + 1}", $"198.19.0.{to + 1}", "fuzz"u8);
        while (o.Spoke(to).Tun.Written.Count > 0) o.Spoke(to).Tun.Written.DequeueCopy();
        o.Spoke(from).Tun.Inject(packet);
        o.Pump();
        byte[]? got = o.Spoke(to).Tun.Written.DequeueCopy();
        if (got is null || !got.AsSpan().SequenceEqual(packet)) throw new InvalidOperationException($"relay {from}->{to} failed after fuzzing");
    }
}
