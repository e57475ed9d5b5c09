using System.Net;
using BenchmarkDotNet.Attributes;
using Overlay.Protocol.Routing;

namespace Overlay.Benchmarks.Routing;

/// <summary>
/// Longest-prefix lookup in the forwarding table with 1, 100 and 10,000 routes (a hub's /32 per spoke
/// plus the virtual subnet), for 256 destinations spread over the table. Per lookup.
/// </summary>
[MemoryDiagnoser]
public class ForwardingTableBenchmarks
{
    private const int Lookups = 256;
    private ForwardingTable _table = ForwardingTable.Empty;
    private readonly byte[] _destinations = new byte[Lookups * 4];

    [Params(1, 100, 10_000)]
    public int Routes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var routes = new List<Route> { new(IPNetwork.Parse("198.19.0.0/16"), RouteTarget.Local) };
        for (int i = 1; i < Routes; i++)
            routes.Add(new Route(new IPNetwork(new IPAddress([198, 19, (byte)(i >> 8), (byte)i]), 32), RouteTarget.ToPeer(i, (ushort)i)));
        _table = new ForwardingTable(routes);
        var random = new Random(3);
        for (int i = 0; i < Lookups; i++)
        {
            int host = random.Next(Math.Max(Routes, 2));
            _destinations[i * 4] = 198;
            _destinations[i * 4 + 1] = 19;
            _destinations[i * 4 + 2] = (byte)(host >> 8);
            _destinations[i * 4 + 3] = (byte)host;
        }
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int Lookup()
    {
        int sum = 0;
        ReadOnlySpan<byte> all = _destinations;
        for (int i = 0; i < Lookups; i++) sum += _table.Lookup(all.Slice(i * 4, 4)).PeerIndex;
        return sum;
    }
}
