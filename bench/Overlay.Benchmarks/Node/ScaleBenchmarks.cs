using BenchmarkDotNet.Attributes;

namespace Overlay.Benchmarks.Node;

/// <summary>
/// Issue 10 item 7: what one idle loop turn costs a hub with 1, 1,000 and 10,000 links (BeginTurn, the next
/// deadline, the timer check with nothing due, EndTurn), all links with armed timers. It must not grow with links.
/// </summary>
[MemoryDiagnoser]
public class ScaleTurnBenchmarks
{
    private ScaleHub _net = null!;

    [Params(1, 1_000, 10_000)]
    public int Links { get; set; }

    [GlobalSetup]
    public void Setup() => _net = new ScaleHub(Links);

    [Benchmark]
    public void IdleTurn() => _net.Hub.Turn();
}

/// <summary>
/// Per-packet relay cost (spoke → hub open, source check, route, re-seal → spoke) on a hub with 2, 1,000 and
/// 10,000 links (relay needs two real spokes, so the smallest hub has 2). 32 packets of 1,420 bytes per invocation.
/// </summary>
[MemoryDiagnoser]
public class ScaleRelayBenchmarks
{
    private const int Batch = 32;
    private ScaleHub _net = null!;
    private byte[] _packet = [];

    [Params(2, 1_000, 10_000)]
    public int Links { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _net = new ScaleHub(Links);
        _packet = ScaleHub.Ipv4(1420, 2, 3);
        for (int i = 0; i < 50; i++) Relay();
        long before = _net.Spoke2.DataPath.Counters.TunTxPackets;
        Relay();
        if (_net.Spoke2.DataPath.Counters.TunTxPackets - before != Batch) throw new InvalidOperationException("relayed packets were lost");
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Relay()
    {
        for (int i = 0; i < Batch; i++) _net.Spoke1.Tun.Inject(_packet);
        _net.Spoke1.Turn();
        _net.Hub.Turn();
        _net.Spoke2.Turn();
        _net.Spoke2.Tun.Written.Clear();
    }
}
