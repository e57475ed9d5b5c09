using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using Overlay.Protocol;

namespace Overlay.Os.Interop;

/// <summary>in6_addr: 16 address bytes in network order.</summary>
[InlineArray(16)]
internal struct In6Address
{
    private byte _element0;
}

/// <summary>
/// Converts between <see cref="UdpEndpoint"/> and sockaddr_in / sockaddr_in6 using the per-OS
/// layouts (Linux u16 family; BSD u8 length + u8 family). An IPv4 peer seen through the
/// dual-stack socket arrives v4-mapped (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) and is returned as
/// an IPv4 endpoint, so the same peer has one identity whichever socket family received it.
/// No allocation; the scope id of link-local IPv6 peers is not kept.
/// </summary>
internal static unsafe class SockAddr
{
    /// <summary>Room for either sockaddr (sockaddr_in6 is the larger, 28 bytes).</summary>
    public const int MaxSize = 28;

    /// <summary>
    /// Writes the sockaddr to send to <paramref name="endpoint"/> from a socket of family
    /// <paramref name="socketFamily"/>; returns its length, or 0 when that socket cannot
    /// reach the endpoint (IPv6 peer on an IPv4-only socket, or no endpoint).
    /// </summary>
    public static int Write(byte* dest, in UdpEndpoint endpoint, int socketFamily)
    {
        // default(UdpEndpoint) has family Unspecified (0), so test for the two real families.
        if (endpoint.Family != System.Net.Sockets.AddressFamily.InterNetwork
            && endpoint.Family != System.Net.Sockets.AddressFamily.InterNetworkV6) return 0;
        byte* a = stackalloc byte[16];
        int n = endpoint.WriteAddress(new Span<byte>(a, 16));
        bool v4 = n == 4 || IsV4Mapped(a);
        byte* v4Bytes = n == 4 ? a : a + 12;
        if (socketFamily == Libc.AF_INET6)
        {
            var sa = (Libc.SockAddrIn6*)dest;
            Libc.InitSockAddrIn6(sa);
            sa->PortBigEndian = BinaryPrimitives.ReverseEndianness(endpoint.Port);
            byte* d = (byte*)&sa->Address;
            if (v4)
            {
                d[10] = 0xff;
                d[11] = 0xff;
                *(uint*)(d + 12) = *(uint*)v4Bytes;
            }
            else
            {
                Buffer.MemoryCopy(a, d, 16, 16);
            }
            return sizeof(Libc.SockAddrIn6);
        }
        if (!v4) return 0;
        var sin = (Libc.SockAddrIn*)dest;
        Libc.InitSockAddrIn(sin);
        sin->PortBigEndian = BinaryPrimitives.ReverseEndianness(endpoint.Port);
        sin->Address = *(uint*)v4Bytes;
        return sizeof(Libc.SockAddrIn);
    }

    /// <summary>Reads a sockaddr_in/sockaddr_in6 written by the kernel; false for other families.</summary>
    public static bool TryRead(byte* src, int length, out UdpEndpoint endpoint)
    {
        int family = Libc.SockAddrFamily(src);
        if (family == Libc.AF_INET && length >= sizeof(Libc.SockAddrIn))
        {
            var sin = (Libc.SockAddrIn*)src;
            endpoint = new UdpEndpoint(new ReadOnlySpan<byte>(&sin->Address, 4),
                BinaryPrimitives.ReverseEndianness(sin->PortBigEndian));
            return true;
        }
        if (family == Libc.AF_INET6 && length >= sizeof(Libc.SockAddrIn6))
        {
            var sa = (Libc.SockAddrIn6*)src;
            byte* a = (byte*)&sa->Address;
            ushort port = BinaryPrimitives.ReverseEndianness(sa->PortBigEndian);
            endpoint = IsV4Mapped(a)
                ? new UdpEndpoint(new ReadOnlySpan<byte>(a + 12, 4), port)
                : new UdpEndpoint(new ReadOnlySpan<byte>(a, 16), port);
            return true;
        }
        endpoint = default;
        return false;
    }

    /// <summary>The sockaddr for binding <paramref name="address"/> (null = any) and port.</summary>
    public static int WriteBind(byte* dest, IPAddress? address, int port, int socketFamily)
    {
        if (address is null)
        {
            address = socketFamily == Libc.AF_INET6 ? IPAddress.IPv6Any : IPAddress.Any;
        }
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        return Write(dest, new UdpEndpoint(b[..n], (ushort)port), socketFamily);
    }

    private static bool IsV4Mapped(byte* a) =>
        *(ulong*)a == 0 && *(ushort*)(a + 8) == 0 && a[10] == 0xff && a[11] == 0xff;
}
