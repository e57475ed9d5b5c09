using BenchmarkDotNet.Attributes;
using Overlay.Protocol;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Stats;

namespace Overlay.Benchmarks.Engine;

/// <summary>
/// Responder selection on a hub with 1,000 PSK-identity links (DESIGN.md §4): an initiation is matched to
/// its local identity by mac1 (BLAKE2s keyed MAC over 116 bytes per candidate).
/// NoMatch scans all 1,000 identities and drops the datagram (the cost an attacker can make us pay,
/// bounded per turn by the scan budget); MatchLast finds the last link and then runs the handshake's DH
/// work (it is answered once, later repeats stop at the timestamp replay check after the DH). Each call
/// comes from a new source port, so the endpoint hint misses and the scan runs every time.
/// </summary>
[MemoryDiagnoser]
public class Mac1SelectionBenchmarks
{
    private const int Links = 1000;

    private sealed class Sink : IWireGuardOutput
    {
        public byte[] Last = [];
        public void Send(WireGuardPeer peer, ReadOnlySpan<byte> datagram) => Last = datagram.ToArray();
        public void SendTo(in UdpEndpoint destination, ReadOnlySpan<byte> datagram) { }
    }

    private WireGuardEngine _hub = null!;
    private byte[] _matching = [];
    private byte[] _foreign = [];
    private readonly UdpEndpoint _source = new([198, 18, 3, 232], 40000);
    private int _port;

    private static byte[] LinkPsk(int link) => Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + link)).ToArray();

    [GlobalSetup]
    public void Setup()
    {
        _hub = new WireGuardEngine(TimeProvider.System, new Counters(), new Sink(),
            new WireGuardEngineOptions { Mac1ScanBudgetPerTurn = int.MaxValue });
        var priv = new byte[32];
        var pub = new byte[32];
        for (int link = 1; link <= Links; link++)
        {
            byte[] psk = LinkPsk(link);
            PskIdentity.DeriveStaticPrivate(psk, 0, (uint)link, priv);
            PskIdentity.DeriveStaticPublic(psk, (uint)link, 0, pub);
            _hub.AddPeer(new LocalIdentity(priv), pub, psk, link, $"link{link}", default, 0);
        }
        _matching = Initiation(LinkPsk(Links), Links);
        _foreign = Initiation(LinkPsk(Links + 1), Links + 1);
    }

    private static byte[] Initiation(byte[] psk, int link)
    {
        var sink = new Sink();
        var spoke = new WireGuardEngine(TimeProvider.System, new Counters(), sink);
        var priv = new byte[32];
        var hubPub = new byte[32];
        PskIdentity.DeriveStaticPrivate(psk, (uint)link, 0, priv);
        PskIdentity.DeriveStaticPublic(psk, 0, (uint)link, hubPub);
        WireGuardPeer hub = spoke.AddPeer(new LocalIdentity(priv), hubPub, psk, 0, "hub", new UdpEndpoint([198, 18, 0, 1], 51820), 0);
        spoke.BeginTurn(TimeProvider.System.GetTimestamp());
        spoke.SendKeepalive(hub);
        return sink.Last;
    }

    [Benchmark]
    public DropReason NoMatch()
    {
        _hub.BeginTurn(TimeProvider.System.GetTimestamp());
        return _hub.ProcessDatagram(_foreign.AsSpan(), _source).Reason;
    }

    [Benchmark]
    public InboundKind MatchLast()
    {
        _hub.BeginTurn(TimeProvider.System.GetTimestamp());
        return _hub.ProcessDatagram(_matching.AsSpan(), new UdpEndpoint([198, 18, 3, 232], (ushort)(40000 + ++_port % 20000))).Kind;
    }
}
