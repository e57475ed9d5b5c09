using System.Runtime.CompilerServices;
using Overlay.Os.Interop;
using Overlay.Protocol;

namespace Overlay.Os.Udp;

/// <summary>
/// Linux UDP GRO on receive (udp(7) UDP_GRO, Linux 5.0), the twin of the UDP_SEGMENT send: the
/// kernel keeps a run of same-sized datagrams from one sender as one buffer (a GSO send that
/// crossed a veth whole, or one the NIC coalesced) and hands it over in one message, with the
/// segment size in a SOL_UDP/UDP_GRO control message. Such messages land in a staging slab of
/// <see cref="GroMessages"/> x 64 KiB of our own, and <see cref="ReceiveBatch"/> cuts them into the
/// caller's frames (one datagram per entry, as without GRO), keeping what does not fit for the
/// next call (<see cref="HasBuffered"/>). Off when the kernel refuses the option. The copy into the
/// frames costs one memcpy per datagram; the frames need their own tailroom for in-place crypto.
/// </summary>
public sealed unsafe partial class UdpSocket
{
    /// <summary>
    /// Messages per recvmmsg into the staging slab: as many as a batch holds, so traffic that is not
    /// coalesced (a peer without GSO) still takes one call per batch. 2 MiB of address space per
    /// socket, left uninitialised so only the pages datagrams touch become resident.
    /// </summary>
    internal const int GroMessages = 32;
    private const int GroMessageBytes = 65536;
    private const int GroControlBytes = 64;   // CMSG_SPACE(sizeof(int)) for UDP_GRO + CMSG_SPACE(in6_pktinfo)
    private const int GroNameBytes = 32;

    private byte[]? _groSlab;                 // pinned: GroMessages x 64 KiB
    private Libc.MMsgHdr[]? _groMessages;     // pinned
    private Libc.IoVec[]? _groIov;            // pinned
    private byte[]? _groNames;                // pinned
    private byte[]? _groControl;              // pinned
    private readonly int[] _groLength = new int[GroMessages];
    private readonly int[] _groSegment = new int[GroMessages];
    private readonly UdpEndpoint[] _groSource = new UdpEndpoint[GroMessages];
    private readonly LocalAddress[] _groLocal = new LocalAddress[GroMessages];
    private int _groCount, _groNext, _groOffset;
    private long _coalescedReceives;

    /// <summary>Whether the socket receives with UDP_GRO (Linux; set at bind when the kernel accepts it).</summary>
    public bool ReceiveOffload => _groSlab is not null;

    /// <summary>Messages received with UDP_GRO that carried two or more datagrams.</summary>
    public long CoalescedReceives => Volatile.Read(ref _coalescedReceives);

    /// <summary>True while datagrams received with UDP_GRO wait in the staging slab (poll cannot see them).</summary>
    public bool HasBuffered => _groNext < _groCount;

    private partial void EnableReceiveOffload()
    {
        if (Libc.SetSockOpt(_rawFd, Libc.SOL_UDP, Libc.UDP_GRO, 1) < 0) return;
        _groSlab = GC.AllocateUninitializedArray<byte>(GroMessages * GroMessageBytes, pinned: true);
        _groMessages = GC.AllocateArray<Libc.MMsgHdr>(GroMessages, pinned: true);
        _groIov = GC.AllocateArray<Libc.IoVec>(GroMessages, pinned: true);
        _groNames = GC.AllocateArray<byte>(GroMessages * GroNameBytes, pinned: true);
        _groControl = GC.AllocateArray<byte>(GroMessages * GroControlBytes, pinned: true);
    }

    /// <summary>Test seam: turns UDP_GRO off again, so the plain recvmmsg path of <see cref="ReceiveBatch"/> is used.</summary>
    internal void DisableReceiveOffloadForTest()
    {
        Libc.SetSockOpt(_rawFd, Libc.SOL_UDP, Libc.UDP_GRO, 0);
        _groSlab = null;
    }

    /// <summary>
    /// ReceiveBatch with UDP_GRO: what is staged from the last call first, then up to
    /// <see cref="MaxReceiveRounds"/> recvmmsg calls, each cut into the batch right away.
    /// </summary>
    private int ReceiveCoalesced(DatagramBatch batch)
    {
        int capacity = batch.Capacity, kept = 0;
        kept = DrainStaged(batch, kept);
        for (int round = 0; round < MaxReceiveRounds && kept < capacity; round++)
        {
            if (ReceiveIntoStaging(Math.Min(GroMessages, capacity)) <= 0) break;
            kept = DrainStaged(batch, kept);
        }
        batch.Count = kept;
        return kept;
    }

    /// <summary>Cuts staged messages into batch entries from <paramref name="kept"/> on; returns the new count.</summary>
    private int DrainStaged(DatagramBatch batch, int kept)
    {
        int capacity = batch.Capacity, maxPayload = batch.MaxPayload;
        while (kept < capacity && _groNext < _groCount)
        {
            int m = _groNext;
            int segment = Math.Min(_groSegment[m], _groLength[m] - _groOffset);
            if (segment <= maxPayload)
            {
                fixed (byte* slab = _groSlab)
                    Buffer.MemoryCopy(slab + (nint)m * GroMessageBytes + _groOffset, batch.PayloadPointer(kept), maxPayload, segment);
                batch.Length(kept) = segment;
                batch.Endpoint(kept) = _groSource[m];
                batch.Local(kept) = _groLocal[m];
                kept++;
            }
            else
            {
                _receiveTruncated++;
            }
            _groOffset += segment;
            if (_groOffset >= _groLength[m])
            {
                _groNext++;
                _groOffset = 0;
            }
        }
        return kept;
    }

    /// <summary>
    /// One recvmmsg of up to <paramref name="count"/> messages (no more than the batch holds, so a flood of
    /// oversized datagrams costs at most MaxReceiveRounds x capacity per call, as without GRO) into the
    /// staging slab; returns messages received (0 when none was waiting).
    /// </summary>
    private int ReceiveIntoStaging(int count)
    {
        _groCount = _groNext = _groOffset = 0;
        fixed (byte* slab = _groSlab)
        fixed (Libc.MMsgHdr* messages = _groMessages)
        fixed (Libc.IoVec* iov = _groIov)
        fixed (byte* names = _groNames)
        fixed (byte* control = _groControl)
        {
            for (int i = 0; i < count; i++)
            {
                iov[i].Base = slab + (nint)i * GroMessageBytes;
                iov[i].Length = GroMessageBytes;
                ref Libc.MsgHdr h = ref messages[i].Header;
                h.Name = names + i * GroNameBytes;
                h.NameLength = SockAddr.MaxSize;
                h.Iov = iov + i;
                h.IovLength = 1;
                h.Control = control + i * GroControlBytes;
                h.ControlLength = GroControlBytes;
                h.Flags = 0;
                messages[i].Length = 0;
            }
            int n = Libc.RecvMMsg(_rawFd, messages, count, Libc.MSG_DONTWAIT);
            if (n < 0)
            {
                if (n == -Libc.EAGAIN) return 0;
                if (IsFatal(-n)) throw Broken("recvmmsg", -n);
                _receiveErrors++;
                return 0;
            }
            int staged = 0;
            for (int j = 0; j < n; j++)
            {
                ref Libc.MsgHdr h = ref messages[j].Header;
                if ((h.Flags & Libc.MSG_TRUNC) != 0
                    || !SockAddr.TryRead((byte*)h.Name, (int)h.NameLength, out UdpEndpoint source))
                {
                    _receiveTruncated++;
                    continue;
                }
                int length = (int)messages[j].Length;
                ReadControl((byte*)h.Control, (int)h.ControlLength, out int segment, out LocalAddress local);
                if (segment <= 0 || segment > length) segment = length;
                if (segment < length) _coalescedReceives++;
                if (staged != j)
                    Buffer.MemoryCopy(slab + (nint)j * GroMessageBytes, slab + (nint)staged * GroMessageBytes, GroMessageBytes, length);
                _groLength[staged] = length;
                _groSegment[staged] = segment;   // 0 only for an empty datagram: one entry of length 0
                _groSource[staged] = source;
                _groLocal[staged] = local;
                staged++;
            }
            _groCount = staged;
            return n;
        }
    }
}
