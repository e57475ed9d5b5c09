using Overlay.Protocol;

namespace Overlay.Tests.Fakes;

/// <summary>
/// A bounded FIFO of packets in preallocated slots, so fakes move packets without
/// allocating (the allocation test measures the node, not the fake).
/// </summary>
public sealed class PacketRing
{
    private readonly byte[][] _slots;
    private readonly int[] _lengths;
    private readonly UdpEndpoint[] _endpoints;
    private readonly LocalAddress[] _locals;
    private int _head, _count;

    public PacketRing(int capacity = 1024, int slotSize = 16 * 1024)
    {
        _slots = new byte[capacity][];
        for (int i = 0; i < capacity; i++) _slots[i] = new byte[slotSize];
        _lengths = new int[capacity];
        _endpoints = new UdpEndpoint[capacity];
        _locals = new LocalAddress[capacity];
    }

    public int Count => _count;
    public long Dropped { get; private set; }

    /// <param name="local">For a UDP inbox: the local address the datagram was sent to.</param>
    public bool Enqueue(ReadOnlySpan<byte> packet, UdpEndpoint endpoint = default, LocalAddress local = default)
    {
        if (_count == _slots.Length || packet.Length > _slots[0].Length) { Dropped++; return false; }
        int i = (_head + _count) % _slots.Length;
        packet.CopyTo(_slots[i]);
        _lengths[i] = packet.Length;
        _endpoints[i] = endpoint;
        _locals[i] = local;
        _count++;
        return true;
    }

    /// <summary>Copies the oldest packet into destination; returns its length, or -1 when empty.</summary>
    public int Dequeue(Span<byte> destination, out UdpEndpoint endpoint) => Dequeue(destination, out endpoint, out _);

    /// <summary>As <see cref="Dequeue(Span{byte}, out UdpEndpoint)"/>; <paramref name="truncated"/> tells that the packet did not fit.</summary>
    public int Dequeue(Span<byte> destination, out UdpEndpoint endpoint, out bool truncated) =>
        Dequeue(destination, out endpoint, out truncated, out _);

    /// <summary>As <see cref="Dequeue(Span{byte}, out UdpEndpoint, out bool)"/>, with the local address it was enqueued with.</summary>
    public int Dequeue(Span<byte> destination, out UdpEndpoint endpoint, out bool truncated, out LocalAddress local)
    {
        endpoint = default;
        local = default;
        truncated = false;
        if (_count == 0) return -1;
        int len = _lengths[_head];
        if (len > destination.Length) { len = destination.Length; truncated = true; }
        _slots[_head].AsSpan(0, len).CopyTo(destination);
        endpoint = _endpoints[_head];
        local = _locals[_head];
        _head = (_head + 1) % _slots.Length;
        _count--;
        return len;
    }

    /// <summary>Removes and returns the oldest packet as a new array (test assertions only).</summary>
    public byte[]? DequeueCopy()
    {
        if (_count == 0) return null;
        byte[] copy = _slots[_head].AsSpan(0, _lengths[_head]).ToArray();
        _head = (_head + 1) % _slots.Length;
        _count--;
        return copy;
    }

    public void Clear() { _head = 0; _count = 0; }
}
