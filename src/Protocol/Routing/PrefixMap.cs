using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Overlay.Protocol.Routing;

/// <summary>
/// Longest-prefix match from an IPv4 or IPv6 address to an int value, built once and then
/// read-only. One hash map per prefix length in use (keys are the masked address as
/// <see cref="uint"/> / <see cref="UInt128"/>), probed from the longest length down, so a
/// lookup costs at most (number of distinct lengths) dictionary probes, allocates nothing and
/// does not depend on the number of prefixes (10,000 host routes are one probe).
/// When the same prefix is added twice the first value wins (Subnetra's tie rule, §2.4).
/// </summary>
internal sealed class PrefixMap
{
    private readonly Dictionary<uint, int>?[] _v4 = new Dictionary<uint, int>?[33];
    private readonly Dictionary<UInt128, int>?[] _v6 = new Dictionary<UInt128, int>?[129];
    private int[] _v4Lengths = [];   // lengths present, longest first
    private int[] _v6Lengths = [];

    public int Count { get; private set; }

    /// <summary>Adds a prefix; returns false (and keeps the old value) when it is already present.</summary>
    public bool Add(IPNetwork prefix, int value)
    {
        Span<byte> b = stackalloc byte[16];
        prefix.BaseAddress.TryWriteBytes(b, out int n);
        int len = prefix.PrefixLength;
        bool added;
        if (prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork)
        {
            uint key = Mask4(BinaryPrimitives.ReadUInt32BigEndian(b), len);
            Dictionary<uint, int>? map = _v4[len];
            if (map is null)
            {
                // The lengths list changes only with a new length: recomputing it per add cost a
                // list and an array per prefix (130,560 prefixes: ~30 MB of garbage per table).
                _v4[len] = map = [];
                _v4Lengths = Lengths(_v4);
            }
            added = map.TryAdd(key, value);
        }
        else
        {
            UInt128 key = Mask6(BinaryPrimitives.ReadUInt128BigEndian(b[..n]), len);
            Dictionary<UInt128, int>? map = _v6[len];
            if (map is null)
            {
                _v6[len] = map = [];
                _v6Lengths = Lengths(_v6);
            }
            added = map.TryAdd(key, value);
        }
        if (added) Count++;
        return added;
    }

    /// <summary>The value of the longest prefix containing <paramref name="address"/> (4 or 16 bytes), or -1.</summary>
    public int Lookup(ReadOnlySpan<byte> address)
    {
        if (address.Length == 4)
        {
            uint a = BinaryPrimitives.ReadUInt32BigEndian(address);
            foreach (int len in _v4Lengths)
                if (_v4[len]!.TryGetValue(Mask4(a, len), out int v)) return v;
            return -1;
        }
        if (address.Length == 16)
        {
            UInt128 a = BinaryPrimitives.ReadUInt128BigEndian(address);
            foreach (int len in _v6Lengths)
                if (_v6[len]!.TryGetValue(Mask6(a, len), out int v)) return v;
        }
        return -1;
    }

    private static uint Mask4(uint a, int len) => len == 0 ? 0 : a & (uint.MaxValue << (32 - len));
    private static UInt128 Mask6(UInt128 a, int len) => len == 0 ? UInt128.Zero : a & (UInt128.MaxValue << (128 - len));

    private static int[] Lengths<T>(T?[] maps) where T : class
    {
        var list = new List<int>();
        for (int len = maps.Length - 1; len >= 0; len--)
            if (maps[len] is not null) list.Add(len);
        return list.ToArray();
    }
}
