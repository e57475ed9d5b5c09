using Overlay.Os.Interop;
using Overlay.Os.Tun.Offload;

namespace Overlay.Os.Tun;

/// <summary>Which offloads a tun runs with (Linux IFF_VNET_HDR + TUNSETOFFLOAD; never on macOS).</summary>
[Flags]
public enum TunOffloads
{
    /// <summary>One plain packet per read and write.</summary>
    None = 0,
    /// <summary>Every read/write carries a virtio-net header; partial checksums are completed here.</summary>
    VnetHeader = 1,
    /// <summary>TCP super-packets both ways: split on read (TSO), coalesced on write (GRO).</summary>
    Tcp = 2,
    /// <summary>UDP super-packets both ways (USO, Linux >= 6.2).</summary>
    Udp = 4,
}

/// <summary>
/// The offloaded packet path (issue 14). With a virtio-net header on every read and write, one
/// read can bring a TCP or UDP super-packet of up to 64 KiB: it lands in a pinned buffer of our
/// own and <see cref="Read"/> hands it out one MTU-sized segment per call (<see cref="GsoSplitter"/>),
/// so the caller seals segments exactly as before. <see cref="Write"/> holds consecutive segments
/// of one flow back in a <see cref="GroCoalescer"/> and <see cref="Flush"/> writes them as one
/// super-packet, so the kernel's TCP stack runs once per batch instead of once per segment.
/// Plain packets are written in place with a zero header in the 10 bytes before them.
/// The byte work is OS-neutral (it is tested over a socketpair); only the ioctls that turn it on
/// are Linux (<c>TunDevice.Linux.cs</c>). Nothing here allocates after construction.
/// </summary>
public sealed partial class TunDevice
{
    /// <summary>The largest read: a virtio-net header and a 64 KiB super-packet.</summary>
    private const int VnetReadSize = VirtioNetHeader.Length + 65535;

    private readonly TunOffloads _offloads;
    private readonly byte[]? _vnetRx;
    private readonly GroCoalescer? _gro;
    private GsoPlan _plan;
    private int _planNext;
    private int _rxPacketLength;
    private int _heldBackDropped;

    /// <summary>What this device runs with; <see cref="TunOffloads.None"/> on macOS and after a fallback.</summary>
    public TunOffloads Offloads => _offloads;

    /// <summary>One line for the log: what the kernel accepted, or why offloads are off (null on macOS).</summary>
    public string? OffloadNote { get; private init; }

    /// <summary>True while segments of a super-packet already read wait to be returned by <see cref="Read"/>.</summary>
    public bool HasBuffered => _planNext < _plan.SegmentCount;

    private static GroCoalescer? NewCoalescer(TunOffloads offloads)
    {
        bool tcp = (offloads & TunOffloads.Tcp) != 0, udp = (offloads & TunOffloads.Udp) != 0;
        return tcp || udp ? new GroCoalescer(GC.AllocateArray<byte>(VnetReadSize, pinned: true), tcp, udp) : null;
    }

    private unsafe int ReadOffloaded(Span<byte> destination)
    {
        byte[] rx = _vnetRx!;
        while (true)
        {
            if (_planNext < _plan.SegmentCount)
            {
                int n = GsoSplitter.WriteSegment(rx.AsSpan(VirtioNetHeader.Length, _rxPacketLength), _plan, _planNext++, destination);
                if (n >= 0) return n;
                _shortFramesDropped++;   // a segment larger than the caller's frame: cannot be handed on
                continue;
            }
            nint r;
            fixed (byte* p = rx) r = Libc.Read(_rawFd, p, (nuint)rx.Length);
            if (r < 0)
            {
                if (r == -Libc.EAGAIN) return 0;
                throw Broken("read", (int)-r);
            }
            // read(2) of 0 on a tun means the device is gone: looping on it would spin forever
            // (the utun path treats it the same way).
            if (r == 0) throw Broken("read", Libc.EIO);
            if (r <= VirtioNetHeader.Length)
            {
                _shortFramesDropped++;
                continue;
            }
            VirtioNetHeader.TryRead(rx, out VirtioNetHeader header);
            _rxPacketLength = (int)r - VirtioNetHeader.Length;
            if (GsoSplitter.TryPlan(rx.AsSpan(VirtioNetHeader.Length, _rxPacketLength), header, out _plan) != OffloadStatus.Ok)
            {
                _plan = default;
                _shortFramesDropped++;   // a header that does not match its packet: unusable
            }
            _planNext = 0;
        }
    }

    private unsafe bool WriteOffloaded(Span<byte> frame, int headroom, int length)
    {
        ReadOnlySpan<byte> packet = frame.Slice(headroom, length);
        if (_gro is not null)
        {
            GroResult g = _gro.Add(packet);
            if (g == GroResult.FlushFirst)
            {
                FlushHeldBack();
                g = _gro.Add(packet);
            }
            if (g != GroResult.Rejected) return true;
            FlushHeldBack();   // what is held back goes first: the order of a flow is kept
        }
        if (headroom < VirtioNetHeader.Length)
            throw new ArgumentOutOfRangeException(nameof(headroom), headroom, $"an offloaded tun needs {VirtioNetHeader.Length} bytes of headroom");
        int start = headroom - VirtioNetHeader.Length;
        VirtioNetHeader.WriteNone(frame.Slice(start, VirtioNetHeader.Length));
        fixed (byte* p = frame)
            return Written(Libc.Write(_rawFd, p + start, (nuint)(length + VirtioNetHeader.Length)), 1);
    }

    /// <summary>
    /// Writes what <see cref="Write"/> held back to coalesce (call after each batch and at the
    /// end of a loop turn). Returns the packets lost since the last call because the kernel
    /// refused a held-back super-packet (each also counted in <see cref="WriteErrors"/>).
    /// </summary>
    public int Flush()
    {
        if (_gro is not null) FlushHeldBack();
        int dropped = _heldBackDropped;
        _heldBackDropped = 0;
        return dropped;
    }

    private unsafe void FlushHeldBack()
    {
        if (!_gro!.HasPending) return;
        int segments = _gro.PendingSegments;
        ReadOnlySpan<byte> all = _gro.Flush();
        fixed (byte* p = all)
            if (!Written(Libc.Write(_rawFd, p, (nuint)all.Length), segments)) _heldBackDropped += segments;
    }

    private bool Written(nint result, int packets)
    {
        if (result >= 0) return true;
        if (result == -Libc.EBADF || result == -Libc.EFAULT) throw Broken("write", (int)-result);
        _writeErrors += packets;
        return false;
    }
}
