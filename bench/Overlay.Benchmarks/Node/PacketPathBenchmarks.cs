using BenchmarkDotNet.Attributes;
using Overlay.Hub;
using Overlay.Os.Node;
using Overlay.Protocol.Config;
using Overlay.Spoke;
using Overlay.Tests.Fakes;

namespace Overlay.Benchmarks.Node;

/// <summary>
/// The node's whole packet path over in-memory tun and UDP (tests/Fakes), a hub and two spokes built from
/// real configs as the daemon builds them: SpokeToHub is tun read → route → seal → sendmmsg batch → recvmmsg
/// batch → open → source check → tun write; Relay adds the hub's re-seal toward the second spoke and the
/// second spoke's open. 32 packets per invocation (one batch), reported per packet. Setup checks that the
/// packets arrive and that a warm path allocates 0 bytes (it throws otherwise).
/// </summary>
[MemoryDiagnoser]
public class PacketPathBenchmarks
{
    private const int Batch = 32;

    private sealed class Node(NodeDataPath dataPath, FakeTun tun)
    {
        public readonly NodeDataPath DataPath = dataPath;
        public readonly FakeTun Tun = tun;

        public void Turn()
        {
            DataPath.BeginTurn(TimeProvider.System.GetTimestamp());
            DataPath.OnUdpReadable(0);
            DataPath.OnTunReadable();
            DataPath.EndTurn();
        }
    }

    private Node _hub = null!, _spoke1 = null!, _spoke2 = null!;
    private byte[] _toHub = [], _toSpoke2 = [];

    [Params(64, 1420)]
    public int Size { get; set; }

    private static OverlayConfig Load(string json)
    {
        ConfigLoadResult r = ConfigLoader.LoadJson(json, "bench.json");
        if (r.Config is null) throw new InvalidOperationException(string.Join("; ", r.Errors));
        return r.Config;
    }

    private static Node Build(OverlayConfig config, FakeNetwork network, string at, IRolePolicy policy)
    {
        var tun = new FakeTun();
        var dataPath = new NodeDataPath(NodeSetupBuilder.Build(config), tun, [network.Attach(at)], TimeProvider.System, policy);
        return new Node(dataPath, tun);
    }

    [GlobalSetup]
    public void Setup()
    {
        const string psk1 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
        const string psk2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
        var network = new FakeNetwork();
        _hub = Build(Load($$"""
            { "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "local_tun_ip": "198.19.0.1/24", "listen_port": 51820,
              "peers": [ { "id": 2, "name": "s1", "allowed_src": "198.19.0.2/32", "psk": "{{psk1}}" },
                         { "id": 3, "name": "s2", "allowed_src": "198.19.0.3/32", "psk": "{{psk2}}" } ] }
            """), network, "198.18.1.1:51820", new HubPolicy(TimeProvider.System));
        _spoke1 = Build(Load($$"""
            { "role": "spoke", "virtual_subnet": "198.19.0.0/24", "local_id": 2, "local_tun_ip": "198.19.0.2/24",
              "peers": [ { "id": 1, "name": "hub", "endpoint": "198.18.1.1:51820", "psk": "{{psk1}}" } ] }
            """), network, "198.18.1.2:40001", new SpokePolicy());
        _spoke2 = Build(Load($$"""
            { "role": "spoke", "virtual_subnet": "198.19.0.0/24", "local_id": 3, "local_tun_ip": "198.19.0.3/24",
              "peers": [ { "id": 1, "name": "hub", "endpoint": "198.18.1.1:51820", "psk": "{{psk2}}" } ] }
            """), network, "198.18.2.2:40002", new SpokePolicy());
        _spoke1.DataPath.Start();
        _spoke2.DataPath.Start();
        for (int i = 0; i < 10; i++) { _hub.Turn(); _spoke1.Turn(); _spoke2.Turn(); }
        if (_hub.DataPath.Counters.SessionsEstablished < 2) throw new InvalidOperationException("handshakes did not complete");

        _toHub = Ipv4(Size, 2, 1);
        _toSpoke2 = Ipv4(Size, 2, 3);
        for (int i = 0; i < 100; i++) { SpokeToHub(); Relay(); }
        long tunTx = _hub.DataPath.Counters.TunTxPackets, relayed = _spoke2.DataPath.Counters.TunTxPackets;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) { SpokeToHub(); Relay(); }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (_hub.DataPath.Counters.TunTxPackets - tunTx != 100 * Batch || _spoke2.DataPath.Counters.TunTxPackets - relayed != 100 * Batch)
            throw new InvalidOperationException("packets were lost on the fake path");
        if (allocated != 0) throw new InvalidOperationException($"the warm packet path allocated {allocated} bytes");
    }

    private static byte[] Ipv4(int total, byte from, byte to) => BenchPackets.Ipv4(total, [198, 19, 0, from], [198, 19, 0, to]);

    [Benchmark(OperationsPerInvoke = Batch)]
    public void SpokeToHub()
    {
        for (int i = 0; i < Batch; i++) _spoke1.Tun.Inject(_toHub);
        _spoke1.Turn();
        _hub.Turn();
        _hub.Tun.Written.Clear();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Relay()
    {
        for (int i = 0; i < Batch; i++) _spoke1.Tun.Inject(_toSpoke2);
        _spoke1.Turn();
        _hub.Turn();
        _spoke2.Turn();
        _spoke2.Tun.Written.Clear();
    }
}
