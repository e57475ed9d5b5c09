namespace Overlay.Protocol;

/// <summary>
/// A local address of this host on the underlay, with the interface it belongs to: where a datagram
/// arrived (the kernel's IP_PKTINFO / IPV6_PKTINFO destination) and so where replies to its sender
/// should leave from. The engine keeps the one of a peer's last authenticated datagram as the peer's
/// sticky source, as the Linux kernel's WireGuard keeps <c>endpoint.src4/src6</c> and <c>src_if4</c>
/// (drivers/net/wireguard/socket.c). Default: none, the kernel picks the source by its routes.
/// IPv4 is stored as IPv4 (never v4-mapped), so it compares equal however the socket reported it.
/// </summary>
public readonly struct LocalAddress : IEquatable<LocalAddress>
{
    /// <summary>The address (its port is always 0).</summary>
    public readonly UdpEndpoint Address;

    /// <summary>The interface the datagram arrived on (0 = unknown); a link-local IPv6 source needs it to send.</summary>
    public readonly int InterfaceIndex;

    /// <param name="address">4 (IPv4) or 16 (IPv6; a v4-mapped ::ffff:a.b.c.d becomes IPv4) bytes.</param>
    public LocalAddress(ReadOnlySpan<byte> address, int interfaceIndex)
    {
        if (address.Length == 16 && IsV4Mapped(address)) address = address[12..];
        Address = new UdpEndpoint(address, 0);
        InterfaceIndex = interfaceIndex;
    }

    public bool IsNone => Address.IsNone;

    public bool IsV4 => Address.IsV4;

    /// <summary>True for an IPv6 link-local address (fe80::/10), whose use as a source needs its interface.</summary>
    public bool IsLinkLocal6
    {
        get
        {
            if (Address.IsNone || Address.IsV4) return false;
            Span<byte> a = stackalloc byte[16];
            Address.WriteAddress(a);
            return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
        }
    }

    /// <summary>Writes 4 (IPv4) or 16 (IPv6) address bytes; returns the count (0 when none).</summary>
    public int WriteAddress(Span<byte> destination) => IsNone ? 0 : Address.WriteAddress(destination);

    private static bool IsV4Mapped(ReadOnlySpan<byte> a) =>
        a[..10].IndexOfAnyExcept((byte)0) < 0 && a[10] == 0xff && a[11] == 0xff;

    public bool Equals(LocalAddress other) => Address == other.Address && InterfaceIndex == other.InterfaceIndex;
    public override bool Equals(object? obj) => obj is LocalAddress a && Equals(a);
    public override int GetHashCode() => HashCode.Combine(Address, InterfaceIndex);
    public static bool operator ==(LocalAddress a, LocalAddress b) => a.Equals(b);
    public static bool operator !=(LocalAddress a, LocalAddress b) => !a.Equals(b);

    public override string ToString() => IsNone ? "(none)" :
        InterfaceIndex == 0 ? Address.ToIPEndPoint().Address.ToString() : $"{Address.ToIPEndPoint().Address}%{InterfaceIndex}";
}
