using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.Protocol;
using Overlay.Os.Interop;

namespace Overlay.Os.Udp;

/// <summary>
/// A batch of UDP datagrams for <see cref="UdpSocket.ReceiveBatch"/> / <see cref="UdpSocket.SendBatch"/>:
/// one native slab cut into <see cref="Capacity"/> frames of <see cref="FrameSize"/> bytes,
/// each payload starting <see cref="Headroom"/> bytes into its frame so a protocol layer can
/// prepend a header (or a tun read can land) without copying. The kernel-facing descriptors
/// (iovec per frame, a sockaddr slot per frame, mmsghdr on Linux) are built once here and
/// only their lengths change per call, so batched I/O allocates nothing.
/// Not thread-safe: one batch belongs to the loop thread.
/// </summary>
public sealed unsafe partial class DatagramBatch : IDisposable
{
    private const int NameStride = 32; // SockAddr.MaxSize (28) rounded up for alignment

    private byte* _slab;
    private byte* _names;
    private Libc.IoVec* _iov;
    private readonly int[] _lengths;
    private readonly UdpEndpoint[] _endpoints;
    private readonly LocalAddress[] _locals;
    private readonly bool[] _localRefused;
    private int _localRefusals;
    private int _count;

    public DatagramBatch(int capacity, int frameSize, int headroom)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(frameSize, headroom);
        if ((long)capacity * frameSize > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(capacity), "batch slab too large");

        Capacity = capacity;
        FrameSize = frameSize;
        Headroom = headroom;
        _lengths = new int[capacity];
        _endpoints = new UdpEndpoint[capacity];
        _locals = new LocalAddress[capacity];
        _localRefused = new bool[capacity];

        nuint slabBytes = (nuint)capacity * (nuint)frameSize;
        // Not cleared: a frame is always written before it is read or sent (only its written length
        // ever leaves), and untouched pages of a fresh allocation stay unbacked. subnetra-wg's 64 KiB
        // frames (2 MiB a batch) so cost resident memory only as far as packets fill them.
        _slab = (byte*)NativeMemory.AlignedAlloc(slabBytes, 64);
        _names = (byte*)NativeMemory.AllocZeroed((nuint)capacity * NameStride);
        _iov = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(Libc.IoVec));
        for (int i = 0; i < capacity; i++)
        {
            _iov[i].Base = _slab + (nint)i * frameSize + headroom;
            _iov[i].Length = (nuint)(frameSize - headroom);
        }
        AllocateHeaders();
    }

    ~DatagramBatch() => Free();

    public int Capacity { get; }

    public int FrameSize { get; }

    public int Headroom { get; }

    /// <summary>The largest payload a frame holds: <c>FrameSize - Headroom</c>.</summary>
    public int MaxPayload => FrameSize - Headroom;

    /// <summary>Filled entries: set by ReceiveBatch, set by the caller before SendBatch.</summary>
    public int Count
    {
        get => _count;
        set
        {
            if ((uint)value > (uint)Capacity) ThrowIndex();
            _count = value;
        }
    }

    /// <summary>The whole frame i, headroom included.</summary>
    public Span<byte> Frame(int i)
    {
        if ((uint)i >= (uint)Capacity) ThrowIndex();
        return new Span<byte>(SlabOrThrow() + (nint)i * FrameSize, FrameSize);
    }

    /// <summary>The payload of entry i: <c>Frame(i)[Headroom .. Headroom + Length(i)]</c>.</summary>
    public Span<byte> Payload(int i)
    {
        if ((uint)i >= (uint)Capacity) ThrowIndex();
        int length = _lengths[i];
        if ((uint)length > (uint)MaxPayload) ThrowLength();
        return new Span<byte>(SlabOrThrow() + (nint)i * FrameSize + Headroom, length);
    }

    public ref int Length(int i) => ref _lengths[i];

    public ref UdpEndpoint Endpoint(int i) => ref _endpoints[i];

    /// <summary>
    /// The local address of entry i (sticky source addresses): on receive, the address the datagram was sent to,
    /// when the socket reports it (none otherwise); on send, the address it should leave from (none: the kernel
    /// picks). A receive that does not report it leaves the slot none, so a send never inherits a stale one.
    /// </summary>
    public ref LocalAddress Local(int i) => ref _locals[i];

    /// <summary>
    /// After a send: true when the kernel refused entry i's <see cref="Local"/> source (the address is gone)
    /// and the entry was sent again without it. The owner of the source forgets it.
    /// </summary>
    public bool LocalRefused(int i) => _localRefused[i];

    /// <summary>Entries of the last send whose source the kernel refused (0 in the common case, so callers skip the scan).</summary>
    public int LocalRefusals => _localRefusals;

    /// <summary>Records that the kernel refused entry i's source; for <see cref="IUdpPort.SendBatch"/> implementations.</summary>
    public void MarkLocalRefused(int i)
    {
        if (_localRefused[i]) return;
        _localRefused[i] = true;
        _localRefusals++;
    }

    /// <summary>Clears the refusal marks of the last send; <see cref="IUdpPort.SendBatch"/> implementations call it first.</summary>
    public void ResetLocalRefusals()
    {
        if (_localRefusals == 0) return;
        Array.Clear(_localRefused);
        _localRefusals = 0;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    internal Libc.IoVec* IoVectors => _iov;

    internal byte* Name(int i) => _names + (nint)i * NameStride;

    internal byte* PayloadPointer(int i) => _slab + (nint)i * FrameSize + Headroom;

    /// <summary>Length(i) checked against the frame, for the send paths.</summary>
    internal int CheckedLength(int i)
    {
        int length = _lengths[i];
        if ((uint)length > (uint)MaxPayload) ThrowLength();
        return length;
    }

    internal void ThrowIfDisposed() => SlabOrThrow();

    /// <summary>Allocates the per-OS message headers (mmsghdr array on Linux, one msghdr on macOS).</summary>
    private partial void AllocateHeaders();

    private partial void FreeHeaders();

    private byte* SlabOrThrow()
    {
        byte* slab = _slab;
        if (slab == null) ThrowDisposed();
        return slab;
    }

    private void Free()
    {
        if (_slab == null) return;
        NativeMemory.AlignedFree(_slab);
        NativeMemory.Free(_names);
        NativeMemory.Free(_iov);
        FreeHeaders();
        _slab = null;
        _names = null;
        _iov = null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIndex() => throw new ArgumentOutOfRangeException("i", "index outside the batch capacity");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLength() => throw new ArgumentOutOfRangeException("length", "datagram length outside [0, FrameSize - Headroom]");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(DatagramBatch));
}
