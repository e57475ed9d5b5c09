using Overlay.Tests.Fakes;
using System.Buffers.Binary;
using Overlay.Protocol.Engine;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Tests.Engine;

/// <summary>
/// Two engines wired back to back through preallocated in-memory queues (a fake UDP network in the spirit of
/// wireguard-go conn/bindtest). Output calls only enqueue a copy; <see cref="Pump"/> delivers them, so no
/// engine is re-entered from inside its own call. Nothing here allocates per datagram.
/// </summary>
public sealed class TwoEngineNetwork
{
    public delegate void DeliverHandler(bool toA, InboundResult result, Span<byte> datagram);

    private sealed class Side(TwoEngineNetwork net, bool isA) : IWireGuardOutput
    {
        public readonly int[] SentByType = new int[5];
        public void Send(WireGuardPeer peer, ReadOnlySpan<byte> datagram) => net.Enqueue(isA, datagram);
        public void SendTo(in UdpEndpoint destination, ReadOnlySpan<byte> datagram) => net.Enqueue(isA, datagram);
        public void Count(ReadOnlySpan<byte> d) { if (d.Length >= 4 && d[0] < 5) SentByType[d[0]]++; }
    }

    private sealed class Ring(int slots)
    {
        public readonly byte[][] Buffers = Enumerable.Range(0, slots).Select(_ => new byte[2048]).ToArray();
        public readonly int[] Lengths = new int[slots];
        public int Head, Count;
    }

    private readonly Side _sideA, _sideB;
    private readonly Ring _toB = new(512), _toA = new(512);

    public readonly ManualTimeProvider Time = new();
    public readonly Counters CountersA = new(), CountersB = new();
    public readonly WireGuardEngine A, B;
    public readonly LocalIdentity IdentityA, IdentityB;
    public readonly WireGuardPeer PeerAtA, PeerAtB;   // A's view of B, B's view of A
    public static readonly UdpEndpoint EndpointA = new([198, 18, 0, 1], 51820);
    public static readonly UdpEndpoint EndpointB = new([198, 18, 0, 2], 51820);

    /// <summary>What B sees as the source of A's datagrams (roaming tests change it).</summary>
    public UdpEndpoint SourceOfA = EndpointA;
    public bool DropAToB, DropBToA;
    public DeliverHandler? OnDeliver;
    public int DataAtA, DataAtB;
    public InboundResult LastAtA, LastAtB;

    public TwoEngineNetwork(byte[]? pskAtA = null, byte[]? pskAtB = null, int keepaliveA = 0)
    {
        _sideA = new Side(this, true);
        _sideB = new Side(this, false);
        A = new WireGuardEngine(Time, CountersA, _sideA, null, new Random(1));
        B = new WireGuardEngine(Time, CountersB, _sideB, null, new Random(2));
        IdentityA = LocalIdentity.Generate();
        IdentityB = LocalIdentity.Generate();
        byte[] psk = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        PeerAtA = A.AddPeer(IdentityA, IdentityB.PublicKey, pskAtA ?? psk, 2, "b", EndpointB, keepaliveA);
        PeerAtB = B.AddPeer(IdentityB, IdentityA.PublicKey, pskAtB ?? psk, 1, "a", default, 0);
        A.BeginTurn(Time.GetTimestamp());
        B.BeginTurn(Time.GetTimestamp());
    }

    public int SentByA(MessageType t) => _sideA.SentByType[(int)t];
    public int SentByB(MessageType t) => _sideB.SentByType[(int)t];
    public int PendingToB => _toB.Count;

    private void Enqueue(bool fromA, ReadOnlySpan<byte> datagram)
    {
        (fromA ? _sideA : _sideB).Count(datagram);
        if (fromA ? DropAToB : DropBToA) return;
        Ring r = fromA ? _toB : _toA;
        if (r.Count == r.Buffers.Length) throw new InvalidOperationException("test network ring full");
        int slot = (r.Head + r.Count) % r.Buffers.Length;
        datagram.CopyTo(r.Buffers[slot]);
        r.Lengths[slot] = datagram.Length;
        r.Count++;
    }

    /// <summary>Copies the oldest datagram queued for B without delivering it.</summary>
    public byte[] PeekToB()
    {
        return _toB.Buffers[_toB.Head].AsSpan(0, _toB.Lengths[_toB.Head]).ToArray();
    }

    /// <summary>Removes the oldest datagram queued for B and returns it undelivered.</summary>
    public byte[] TakeToB()
    {
        byte[] d = PeekToB();
        _toB.Head = (_toB.Head + 1) % _toB.Buffers.Length;
        _toB.Count--;
        return d;
    }

    /// <summary>Delivers everything queued, in both directions, until both queues are empty.</summary>
    public void Pump()
    {
        for (int guard = 0; guard < 1_000_000 && (_toA.Count > 0 || _toB.Count > 0); guard++)
        {
            if (_toB.Count > 0) DeliverOne(toA: false);
            if (_toA.Count > 0) DeliverOne(toA: true);
        }
    }

    private void DeliverOne(bool toA)
    {
        Ring r = toA ? _toA : _toB;
        int slot = r.Head;
        r.Head = (r.Head + 1) % r.Buffers.Length;
        r.Count--;
        Span<byte> d = r.Buffers[slot].AsSpan(0, r.Lengths[slot]);
        InboundResult result = Inject(toA, d, toA ? EndpointB : SourceOfA);
        OnDeliver?.Invoke(toA, result, d);
    }

    /// <summary>Hands one datagram to A or B directly (replays, junk).</summary>
    public InboundResult Inject(bool toA, Span<byte> datagram, UdpEndpoint source)
    {
        WireGuardEngine e = toA ? A : B;
        e.BeginTurn(Time.GetTimestamp());
        InboundResult result = e.ProcessDatagram(datagram, source);
        if (toA) { LastAtA = result; if (result.Kind == InboundKind.Data) DataAtA++; }
        else { LastAtB = result; if (result.Kind == InboundKind.Data) DataAtB++; }
        return result;
    }

    /// <summary>Advances the clock, runs both engines' timers, and delivers what they sent.</summary>
    public void Step(TimeSpan by)
    {
        Time.Advance(by);
        A.BeginTurn(Time.GetTimestamp());
        A.Tick();
        B.BeginTurn(Time.GetTimestamp());
        B.Tick();
        Pump();
    }

    /// <summary>Writes a minimal IPv4 packet (20-byte header + sequence-numbered payload) into a frame at offset 16.</summary>
    public static int WriteIpv4(byte[] frame, int payload, uint sequence)
    {
        int total = 20 + payload;
        Span<byte> p = frame.AsSpan(16, total);
        p.Clear();
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)total);
        p[8] = 64;
        p[9] = 17;
        p[12] = 10; p[15] = 1;
        p[16] = 10; p[19] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(p[20..], sequence);
        for (int i = 24; i < total; i++) p[i] = (byte)(sequence + i);
        return total;
    }

    public static bool CheckIpv4(ReadOnlySpan<byte> packet, uint sequence)
    {
        if (packet.Length < 24 || BinaryPrimitives.ReadUInt32BigEndian(packet[20..]) != sequence) return false;
        for (int i = 24; i < packet.Length; i++) if (packet[i] != (byte)(sequence + i)) return false;
        return true;
    }

    /// <summary>A sends one packet to B and the network is pumped; returns the send result.</summary>
    public SendResult SendAToB(byte[] frame, int payload, uint sequence)
    {
        A.BeginTurn(Time.GetTimestamp());
        var r = A.SendPacket(PeerAtA, frame, WriteIpv4(frame, payload, sequence));
        Pump();
        return r;
    }

    public SendResult SendBToA(byte[] frame, int payload, uint sequence)
    {
        B.BeginTurn(Time.GetTimestamp());
        var r = B.SendPacket(PeerAtB, frame, WriteIpv4(frame, payload, sequence));
        Pump();
        return r;
    }

    /// <summary>Handshake driven by a first packet from A, then one packet back so B's next keypair is confirmed both ways.</summary>
    public void Establish()
    {
        var frame = new byte[2048];
        SendAToB(frame, 40, 0);
        SendBToA(frame, 40, 0);
    }
}
