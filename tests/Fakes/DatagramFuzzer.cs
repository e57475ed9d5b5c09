using Overlay.Protocol;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Messages;

namespace Overlay.Tests.Fakes;

/// <summary>
/// Feeds a hub (and one spoke) of a <see cref="FakeOverlay"/> mixed hostile datagrams through the real node
/// data path (issue 12 item 8): random bytes of any length; types 1-4 at their exact sizes with random
/// content, some carrying real receiver indices or real link hints; mutated and replayed real handshakes and
/// transport messages captured from the overlay's own traffic; and a malicious spoke that seals arbitrary
/// inner bytes under its real session. Everything is driven by one seeded <see cref="Random"/> so a failing
/// seed replays exactly. Shared by the CI test (a few seconds) and the long run in bench/.
/// </summary>
public sealed class DatagramFuzzer
{
    private readonly FakeOverlay _overlay;
    private readonly Random _rng;
    private readonly List<byte[]> _captured = [];
    private readonly List<uint> _indices = [];
    private readonly byte[] _frame = new byte[Overlay.Os.Node.NodeDataPath.FrameHeadroom + Overlay.Os.Node.NodeDataPath.MaxDatagram];
    private readonly byte[] _inner = new byte[1600];
    private readonly UdpEndpoint[] _sources;

    public DatagramFuzzer(FakeOverlay overlay, int seed)
    {
        _overlay = overlay;
        _rng = new Random(seed);
        _sources = new UdpEndpoint[64];
        for (int i = 0; i < _sources.Length; i++)
            _sources[i] = i % 4 == 3
                ? new UdpEndpoint([0x20, 0x01, 0, 2, 0, 0, 0, (byte)i, 0, 0, 0, 0, 0, 0, 0, (byte)(i + 1)], (ushort)(1000 + i))
                : new UdpEndpoint([198, 18, 200, (byte)i], (ushort)(1000 + i));
    }

    public long Inputs { get; private set; }

    /// <summary>Records every datagram the overlay carries from now on (call before establishing sessions).</summary>
    public void StartCapture()
    {
        _overlay.Network.Rewrite = (ref UdpEndpoint source, UdpEndpoint destination, ReadOnlySpan<byte> datagram) =>
        {
            if (_captured.Count < 4096) _captured.Add(datagram.ToArray());
            if (datagram.Length >= 8) _indices.Add(BitConverter.ToUInt32(datagram.Slice(4, 4)));
            return true;
        };
    }

    public void StopCapture() => _overlay.Network.Rewrite = null;

    public int Captured => _captured.Count;

    /// <summary>One hostile input; every 64th input also runs a loop turn on each node, so timers and batches move.</summary>
    public void Step()
    {
        FakeNode target = _rng.Next(8) == 0 ? _overlay.Spoke(1) : _overlay.Hub;
        UdpEndpoint source = _rng.Next(16) == 0 ? _overlay.Spoke(1).Udp.Local : _sources[_rng.Next(_sources.Length)];
        int kind = _rng.Next(8);
        if (kind == 7)
        {
            MaliciousSpokeSend();
        }
        else
        {
            int length = Build(kind);
            target.DataPath.HandleDatagram(0, _frame, length, source);
        }
        Inputs++;
        if ((Inputs & 63) == 0)
        {
            _overlay.Time.Advance(TimeSpan.FromMilliseconds(3));
            foreach (FakeNode n in _overlay.Nodes) _overlay.Turn(n);
        }
    }

    private int Build(int kind)
    {
        Span<byte> d = _frame;
        switch (kind)
        {
            case 0:   // random bytes, random length
            {
                int length = _rng.Next(0, 1600);
                _rng.NextBytes(d[..length]);
                return length;
            }
            case 1:   // a handshake type at its exact size, random content
            case 2:
            case 3:
            {
                (MessageType type, int size) = kind switch
                {
                    1 => (MessageType.HandshakeInitiation, MessageLayout.InitiationSize),
                    2 => (MessageType.HandshakeResponse, MessageLayout.ResponseSize),
                    _ => (MessageType.CookieReply, MessageLayout.CookieReplySize),
                };
                _rng.NextBytes(d[..size]);
                MessageLayout.WriteHeader(d, type);
                if (_indices.Count > 0 && _rng.Next(2) == 0)
                    BitConverter.TryWriteBytes(d.Slice(type == MessageType.HandshakeResponse ? 8 : 4, 4), _indices[_rng.Next(_indices.Count)]);
                return size;
            }
            case 4:   // transport with a real receiver index and random counter/ciphertext
            {
                int length = MessageLayout.TransportMinSize + 16 * _rng.Next(0, 90);
                _rng.NextBytes(d[..length]);
                MessageLayout.WriteHeader(d, MessageType.TransportData);
                if (_indices.Count > 0) BitConverter.TryWriteBytes(d.Slice(4, 4), _indices[_rng.Next(_indices.Count)]);
                return length;
            }
            case 5:   // a real captured datagram, replayed as is
            case 6:   // ... or with a few bytes flipped
            default:
            {
                if (_captured.Count == 0) return 0;
                byte[] real = _captured[_rng.Next(_captured.Count)];
                real.CopyTo(d);
                if (kind == 6)
                    for (int flips = _rng.Next(1, 4); flips > 0; flips--)
                        d[_rng.Next(real.Length)] ^= (byte)(1 << _rng.Next(8));
                return real.Length;
            }
        }
    }

    /// <summary>Spoke 1 seals arbitrary inner bytes under its real session: the hub must drop or route them, never trip.</summary>
    private void MaliciousSpokeSend()
    {
        WireGuardEngine spoke = _overlay.Spoke(1).DataPath.WireGuard;
        WireGuardPeer? hub = spoke.Peers.Count > 0 ? spoke.Peers[0] : null;
        if (hub is null) return;
        int length = _rng.Next(1, 1400);
        Span<byte> frame = _inner;
        _rng.NextBytes(frame.Slice(MessageLayout.TransportHeaderSize, length));
        if (_rng.Next(2) == 0) frame[MessageLayout.TransportHeaderSize] = (byte)(_rng.Next(2) == 0 ? 0x45 : 0x60);
        spoke.SendPacket(hub, frame, length);
    }
}
