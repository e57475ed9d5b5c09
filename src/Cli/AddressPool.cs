using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace Overlay.Cli;

/// <summary>
/// Overlay address arithmetic for init and add-peer: the usable hosts of a virtual subnet
/// (IPv4 without the network and broadcast addresses, except in /31 and /32; IPv6 without the
/// subnet-router anycast address, RFC 4291 §2.6.1) and the first one nobody holds yet.
/// </summary>
public static class AddressPool
{
    /// <summary>How many candidates add-peer tries before giving up (a /16 of spokes is far beyond a hub's size).</summary>
    public const int MaxScan = 1 << 16;

    public static bool IsUsable(IPNetwork subnet, IPAddress address)
    {
        if (!subnet.Contains(address)) return false;
        int bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (subnet.PrefixLength >= bits - 1) return true;
        BigInteger offset = ToInteger(address) - ToInteger(subnet.BaseAddress);
        if (offset == 0) return false;
        if (bits == 32 && offset == (BigInteger.One << (bits - subnet.PrefixLength)) - 1) return false;
        return true;
    }

    public static IPAddress? First(IPNetwork subnet) => NextFree(subnet, _ => false);

    /// <summary>The lowest usable address of <paramref name="subnet"/> for which <paramref name="taken"/> is false, or null.</summary>
    public static IPAddress? NextFree(IPNetwork subnet, Func<IPAddress, bool> taken)
    {
        bool v4 = subnet.BaseAddress.AddressFamily == AddressFamily.InterNetwork;
        int bits = v4 ? 32 : 128;
        BigInteger size = BigInteger.One << (bits - subnet.PrefixLength);
        BigInteger start = ToInteger(subnet.BaseAddress);
        for (BigInteger i = 0; i < size && i < MaxScan; i++)
        {
            IPAddress candidate = FromInteger(start + i, v4);
            if (IsUsable(subnet, candidate) && !taken(candidate)) return candidate;
        }
        return null;
    }

    private static BigInteger ToInteger(IPAddress a) => new(a.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    private static IPAddress FromInteger(BigInteger value, bool v4)
    {
        byte[] raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var bytes = new byte[v4 ? 4 : 16];
        Array.Copy(raw, 0, bytes, bytes.Length - raw.Length, raw.Length);
        return new IPAddress(bytes);
    }
}
