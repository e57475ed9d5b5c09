using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Overlay.Protocol;

/// <summary>
/// A UDP underlay endpoint as a small blittable value: 16 address bytes (IPv4 stored
/// v4-mapped, ::ffff:a.b.c.d), the port in host order, and the family. The packet path
/// uses it as the peer endpoint for roaming and as the cookie source (WireGuard §5.4.7,
/// the responder hashes the source address), so it never allocates.
/// </summary>
public readonly struct UdpEndpoint : IEquatable<UdpEndpoint>
{
    private readonly ulong _hi;   // address bytes 0..7 (big-endian as on the wire)
    private readonly ulong _lo;   // address bytes 8..15
    public readonly ushort Port;
    public readonly AddressFamily Family; // InterNetwork or InterNetworkV6; default (Unspecified) = none

    public UdpEndpoint(ReadOnlySpan<byte> address, ushort port)
    {
        Span<byte> a = stackalloc byte[16];
        if (address.Length == 4)
        {
            a.Clear();
            a[10] = 0xff; a[11] = 0xff;
            address.CopyTo(a[12..]);
            Family = AddressFamily.InterNetwork;
        }
        else if (address.Length == 16)
        {
            address.CopyTo(a);
            Family = AddressFamily.InterNetworkV6;
        }
        else
        {
            throw new ArgumentException("address must be 4 or 16 bytes", nameof(address));
        }
        _hi = BinaryPrimitives.ReadUInt64BigEndian(a);
        _lo = BinaryPrimitives.ReadUInt64BigEndian(a[8..]);
        Port = port;
    }

    public static UdpEndpoint From(IPEndPoint ep)
    {
        Span<byte> b = stackalloc byte[16];
        ep.Address.TryWriteBytes(b, out int n);
        return new UdpEndpoint(b[..n], (ushort)ep.Port);
    }

    public bool IsNone => Family != AddressFamily.InterNetwork && Family != AddressFamily.InterNetworkV6;
    public bool IsV4 => Family == AddressFamily.InterNetwork;

    /// <summary>Writes 4 (IPv4) or 16 (IPv6) address bytes; returns the count.</summary>
    public int WriteAddress(Span<byte> dest)
    {
        Span<byte> a = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(a, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(a[8..], _lo);
        if (IsV4) { a[12..].CopyTo(dest); return 4; }
        a.CopyTo(dest);
        return 16;
    }

    /// <summary>
    /// The bytes the cookie MAC covers: address (4 or 16) then the port big-endian, as the
    /// kernel does (cookie.c). Only the responder ever computes this, so the format is local.
    /// </summary>
    public int WriteCookieSource(Span<byte> dest)
    {
        int n = WriteAddress(dest);
        BinaryPrimitives.WriteUInt16BigEndian(dest[n..], Port);
        return n + 2;
    }

    public IPEndPoint ToIPEndPoint()
    {
        Span<byte> a = stackalloc byte[16];
        int n = WriteAddress(a);
        return new IPEndPoint(new IPAddress(a[..n]), Port);
    }

    public bool Equals(UdpEndpoint other) =>
        _hi == other._hi && _lo == other._lo && Port == other.Port && Family == other.Family;
    public override bool Equals(object? obj) => obj is UdpEndpoint e && Equals(e);
    public override int GetHashCode() => HashCode.Combine(_hi, _lo, Port);
    public static bool operator ==(UdpEndpoint a, UdpEndpoint b) => a.Equals(b);
    public static bool operator !=(UdpEndpoint a, UdpEndpoint b) => !a.Equals(b);

    public override string ToString() => IsNone ? "(none)" :
        IsV4 ? ToIPEndPoint().ToString() : $"[{ToIPEndPoint().Address}]:{Port}";
}
