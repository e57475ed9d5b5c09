using Overlay.Os.Interop;

namespace Overlay.Os.Tun;

/// <summary>
/// The layer-3 tunnel device: Linux tun (IFF_TUN|IFF_NO_PI, one IP packet per read/write)
/// or macOS utun (the same, behind a 4-byte address-family header; see <see cref="UtunFraming"/>).
/// DESIGN §6. The fd is non-blocking and close-on-exec and is owned here; the poll loop uses
/// <see cref="Handle"/> and the owner disposes after the loop stops. Closing the fd removes a
/// non-persistent Linux tun and every utun.
///
/// Callers reserve <see cref="Headroom"/> bytes before the packet in each frame so the macOS
/// header is read and written in place. Read and Write never allocate; transient failures are
/// counted and reported as 0/false, only a broken descriptor throws.
///
/// Setup (<see cref="Open"/>) names the interface and sets its MTU, nothing else: addresses
/// and routes come from the network plan, which the daemon applies after Open (DESIGN §6,
/// Os/Plan). The MTU is set here too because it needs the same privilege the device does.
/// </summary>
public sealed partial class TunDevice : IDisposable, ITunPort
{
    /// <summary>Bytes a caller must leave before the packet in every frame (utun's AF header).</summary>
    public const int Headroom = UtunFraming.HeaderLength;

    private readonly SafeFd _fd;
    private readonly int _rawFd;
    private readonly bool _afHeader;
    private long _shortFramesDropped;
    private long _writeErrors;

    private TunDevice(SafeFd fd, string name, bool afHeader, TunOffloads offloads = TunOffloads.None, string? offloadNote = null)
    {
        _fd = fd;
        _rawFd = fd.Fd;
        _afHeader = afHeader;
        Name = name;
        if (offloads != TunOffloads.None)
        {
            _offloads = offloads | TunOffloads.VnetHeader;
            _vnetRx = GC.AllocateArray<byte>(VnetReadSize, pinned: true);
            _gro = NewCoalescer(offloads);
        }
        OffloadNote = offloadNote;
    }

    /// <summary>
    /// Wraps an already open descriptor (a socketpair end in tests) so the framing paths
    /// can be exercised without a real device. <paramref name="afHeader"/> selects utun framing;
    /// <paramref name="offloads"/> the virtio-net header path of a Linux tun with IFF_VNET_HDR.
    /// </summary>
    internal static TunDevice FromDescriptor(SafeFd fd, string name, bool afHeader, TunOffloads offloads = TunOffloads.None) =>
        new(fd, name, afHeader, offloads);

    /// <summary>The interface name (on macOS the kernel-chosen utunN).</summary>
    public string Name { get; }

    /// <summary>The raw fd for poll(2); valid until <see cref="Dispose"/>.</summary>
    public int Handle => _rawFd;

    /// <summary>
    /// Frames read but dropped as unusable: macOS frames shorter than the AF header plus one byte;
    /// with offloads, a virtio-net header that does not match its packet, or a segment too large
    /// for the caller's frame.
    /// </summary>
    public long ShortFramesDropped => Volatile.Read(ref _shortFramesDropped);

    /// <summary>Writes that failed (EAGAIN, ENOBUFS, EINVAL, or no IPv4/IPv6 version nibble on macOS).</summary>
    public long WriteErrors => Volatile.Read(ref _writeErrors);

    /// <summary>
    /// Creates the interface. Linux: <paramref name="requestedName"/> is the interface name
    /// (at most 15 bytes; empty lets the kernel pick tunN). macOS: "utun" or "" lets the kernel
    /// pick utunN, "utunN" asks for that unit. <paramref name="mtu"/> &gt; 0 sets the interface MTU,
    /// 0 leaves the kernel default. Throws <see cref="SystemCallException"/> naming the failed
    /// call, errno and the fix.
    /// </summary>
    public static TunDevice Open(string requestedName, int mtu)
    {
        ArgumentNullException.ThrowIfNull(requestedName);
        ArgumentOutOfRangeException.ThrowIfNegative(mtu);
        return OpenCore(requestedName, mtu);
    }

    /// <summary>Supplied by exactly one of TunDevice.Linux.cs / TunDevice.MacOS.cs.</summary>
    private static unsafe partial TunDevice OpenCore(string requestedName, int mtu);

    /// <summary>
    /// Reads one IP packet into <c>frame[headroom..]</c> and returns its length, or 0 when
    /// nothing is waiting (EAGAIN). With utun framing the read starts 4 bytes earlier and the
    /// header is skipped in place; frames too short to hold a packet are counted and skipped.
    /// With offloads the packet may be one segment of a super-packet read earlier
    /// (<see cref="HasBuffered"/>).
    /// </summary>
    public unsafe int Read(Span<byte> frame, int headroom)
    {
        CheckHeadroom(frame.Length, headroom);
        if (_vnetRx is not null) return ReadOffloaded(frame[headroom..]);
        fixed (byte* p = frame)
        {
            if (!_afHeader)
            {
                nint n = Libc.Read(_rawFd, p + headroom, (nuint)(frame.Length - headroom));
                if (n >= 0) return (int)n;
                if (n == -Libc.EAGAIN) return 0;
                throw Broken("read", (int)-n);
            }
            byte* start = p + headroom - UtunFraming.HeaderLength;
            nuint room = (nuint)(frame.Length - headroom + UtunFraming.HeaderLength);
            while (true)
            {
                nint n = Libc.Read(_rawFd, start, room);
                if (n >= UtunFraming.MinFrameLength) return (int)n - UtunFraming.HeaderLength;
                // 0 is end of file: the utun is gone (a utun never yields an empty frame), and
                // reading on would spin this loop forever. Treat it as a broken device.
                if (n == 0) throw new SystemCallException($"read({Name})", new Errno(Libc.EIO), "read returned 0 (end of file): the utun was closed; restart the daemon.");
                if (n > 0)
                {
                    _shortFramesDropped++;
                    continue;
                }
                if (n == -Libc.EAGAIN) return 0;
                throw Broken("read", (int)-n);
            }
        }
    }

    /// <summary>
    /// Writes the packet at <c>frame[headroom..headroom+length]</c>. With utun framing the
    /// header goes into the 4 bytes before it. With offloads (headroom of at least 10) a TCP or
    /// UDP segment may be held back to coalesce with the next ones until <see cref="Flush"/>. False (and counted in <see cref="WriteErrors"/>)
    /// when the kernel refuses it; throws only when the descriptor itself is broken.
    /// </summary>
    public unsafe bool Write(Span<byte> frame, int headroom, int length)
    {
        CheckHeadroom(frame.Length, headroom);
        if ((uint)length > (uint)(frame.Length - headroom))
            throw new ArgumentOutOfRangeException(nameof(length));
        if (_vnetRx is not null) return WriteOffloaded(frame, headroom, length);
        int start = headroom;
        if (_afHeader)
        {
            if (length == 0 || !UtunFraming.TryWriteHeader(frame.Slice(headroom - UtunFraming.HeaderLength), frame[headroom]))
            {
                _writeErrors++;
                return false;
            }
            start -= UtunFraming.HeaderLength;
            length += UtunFraming.HeaderLength;
        }
        fixed (byte* p = frame)
        {
            nint n = Libc.Write(_rawFd, p + start, (nuint)length);
            if (n >= 0) return true;
            if (n == -Libc.EBADF || n == -Libc.EFAULT) throw Broken("write", (int)-n);
            _writeErrors++;
            return false;
        }
    }

    /// <summary>
    /// True while the interface behind the fd exists, in whichever namespace it lives now. Linux
    /// asks the fd (TUNGETIFF fails with EBADFD once the interface is deleted), so moving the
    /// interface into another network namespace is not mistaken for a deletion, as a name lookup
    /// in the daemon's own namespace would be; macOS has no network namespaces and asks by name.
    /// Any thread; not for the packet path.
    /// </summary>
    public bool IsAttached => IsAttachedCore();

    /// <summary>
    /// The interface's MTU now, read where the interface lives (Linux: in the namespace the fd
    /// reports with TUNGETDEVNETNS), or 0 when it cannot be read. Any thread; not for the packet path.
    /// </summary>
    public int QueryMtu() => QueryMtuCore();

    private unsafe partial bool IsAttachedCore();

    private unsafe partial int QueryMtuCore();

    /// <summary>Closes what <see cref="QueryMtuCore"/> keeps open.</summary>
    private partial void DisposeLink();

    public void Dispose()
    {
        DisposeLink();
        _fd.Dispose();
    }

    private void CheckHeadroom(int frameLength, int headroom)
    {
        int min = _afHeader ? UtunFraming.HeaderLength : 0;
        if (headroom < min || headroom > frameLength)
            throw new ArgumentOutOfRangeException(nameof(headroom), headroom, $"headroom must be in [{min}, frame length]");
    }

    private SystemCallException Broken(string call, int errno) =>
        new($"{call}({Name})", new Errno(errno), "The tunnel device is no longer usable; restart the daemon.");
}
