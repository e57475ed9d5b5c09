using Overlay.Os.Tun;

namespace Overlay.Tests.Fakes;

/// <summary>
/// In-memory tun (wireguard-go's tuntest idea): <see cref="Inject"/> plays the kernel
/// sending a packet into the tunnel; <see cref="Written"/> holds what the node delivered.
/// </summary>
public sealed class FakeTun : ITunPort
{
    /// <param name="slots">Packets each direction holds.</param>
    /// <param name="slotSize">The largest packet; raise it (with fewer slots) for large-MTU tests.</param>
    public FakeTun(int slots = 1024, int slotSize = 16 * 1024)
    {
        Inbound = new PacketRing(slots, slotSize);
        Written = new PacketRing(slots, slotSize);
    }

    public PacketRing Inbound { get; }
    public PacketRing Written { get; }
    public bool FailWrites { get; set; }
    public long ShortFramesDropped { get; set; }

    public void Inject(ReadOnlySpan<byte> ipPacket) => Inbound.Enqueue(ipPacket);

    public int Read(Span<byte> frame, int headroom)
    {
        int n = Inbound.Dequeue(frame[headroom..], out _);
        return n < 0 ? 0 : n;
    }

    public bool Write(Span<byte> frame, int headroom, int length)
    {
        if (FailWrites) return false;
        return Written.Enqueue(frame.Slice(headroom, length));
    }
}
