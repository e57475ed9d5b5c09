namespace Overlay.Protocol.Sessions;

/// <summary>
/// Packets a peer holds while it has no usable keypair (wireguard-go <c>queue.staged</c>, kernel
/// <c>staged_packet_queue</c>; at most 128 = MAX_STAGED_PACKETS). Each slot owns a byte buffer that is
/// reused for later packets, grown only when a larger frame arrives. When full, the oldest packet is
/// overwritten and the caller counts a StagedQueueFull drop. Frames are stored whole (headroom, payload,
/// tailroom) so flushing can seal them in place.
/// </summary>
public sealed class StagedQueue
{
    private readonly byte[]?[] _buffers;
    private readonly int[] _payloadLengths;
    private readonly int[] _frameLengths;
    private int _head;
    private int _count;

    public StagedQueue(int capacity)
    {
        _buffers = new byte[]?[capacity];
        _payloadLengths = new int[capacity];
        _frameLengths = new int[capacity];
    }

    public int Count => _count;
    public int Capacity => _buffers.Length;

    /// <summary>Copies a frame in; returns false when the oldest packet had to be dropped to make room.</summary>
    public bool Enqueue(ReadOnlySpan<byte> frame, int payloadLength)
    {
        bool dropped = false;
        if (_count == _buffers.Length)
        {
            _head = (_head + 1) % _buffers.Length;
            _count--;
            dropped = true;
        }
        int slot = (_head + _count) % _buffers.Length;
        byte[]? buffer = _buffers[slot];
        if (buffer is null || buffer.Length < frame.Length)
            _buffers[slot] = buffer = new byte[Math.Max(frame.Length, 2048)];
        frame.CopyTo(buffer);
        _payloadLengths[slot] = payloadLength;
        _frameLengths[slot] = frame.Length;
        _count++;
        return !dropped;
    }

    /// <summary>The oldest frame, without removing it.</summary>
    public Span<byte> PeekFrame(out int payloadLength)
    {
        payloadLength = _payloadLengths[_head];
        return _buffers[_head].AsSpan(0, _frameLengths[_head]);
    }

    public void Dequeue()
    {
        if (_count == 0) return;
        _head = (_head + 1) % _buffers.Length;
        _count--;
    }

    /// <summary>Empties the queue (buffers are kept); returns how many packets were discarded.</summary>
    public int Clear()
    {
        int n = _count;
        _head = 0;
        _count = 0;
        return n;
    }
}
