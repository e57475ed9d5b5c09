using BenchmarkDotNet.Attributes;
using Overlay.Protocol;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Stats;

namespace Overlay.Benchmarks.Engine;

/// <summary>
/// The cost of one junk initiation (148 random bytes, first byte 1) at a hub with 1 and with 10,000 PSK links,
/// all with link hints (issue 12: within 20 % of each other). <c>Flood</c> is the steady state of a flood: the
/// source has used its share of this turn's mac1 scan, so a junk initiation costs the parse, the endpoint
/// lookup, the hint-table probe and the ration check, whatever the number of links. <c>FirstOfTurn</c> is the
/// first junk initiation of a source in a turn: it also pays the scan, bounded by the per-source share (1,024
/// mac1 trials at the default budget) rather than by the number of links.
/// </summary>
[MemoryDiagnoser]
public class JunkInitiationBenchmarks
{
    private sealed class Sink : IWireGuardOutput
    {
        public void Send(WireGuardPeer peer, ReadOnlySpan<byte> datagram) { }
        public void SendTo(in UdpEndpoint destination, ReadOnlySpan<byte> datagram) { }
    }

    [Params(1, 10_000)]
    public int Links { get; set; }

    private WireGuardEngine _hub = null!;
    private readonly byte[][] _junk = new byte[256][];
    private readonly UdpEndpoint _source = new([198, 19, 7, 7], 4444);
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _hub = new WireGuardEngine(TimeProvider.System, new Counters(), new Sink());
        var priv = new byte[32];
        var pub = new byte[32];
        var psk = new byte[32];
        for (int link = 2; link < Links + 2; link++)
        {
            BitConverter.TryWriteBytes(psk, link);
            psk[31] = 0x5a;
            PskIdentity.DeriveStaticPrivate(psk, 1, (uint)link, priv);
            PskIdentity.DeriveStaticPublic(psk, (uint)link, 1, pub);
            WireGuardPeer peer = _hub.AddPeer(new LocalIdentity(priv), pub, psk, link, $"link{link}", default, 0);
            _hub.EnableLinkHint(peer, 1);
        }
        var rng = new Random(42);
        for (int i = 0; i < _junk.Length; i++)
        {
            _junk[i] = new byte[MessageLayout.InitiationSize];
            rng.NextBytes(_junk[i]);
            MessageLayout.WriteHeader(_junk[i], MessageType.HandshakeInitiation);
        }
        _hub.BeginTurn(TimeProvider.System.GetTimestamp());
        // Spend this source's share once, so Flood measures the rationed steady state.
        while (_hub.ProcessDatagram(_junk[0], _source).Reason != DropReason.Mac1ScanRationed) { }
    }

    [Benchmark]
    public DropReason Flood() => _hub.ProcessDatagram(_junk[++_next & 255], _source).Reason;

    [Benchmark]
    public DropReason FirstOfTurn()
    {
        _hub.BeginTurn(TimeProvider.System.GetTimestamp());
        return _hub.ProcessDatagram(_junk[++_next & 255], _source).Reason;
    }
}
