using System.Security.Cryptography;

namespace Overlay.Protocol.Sessions;

/// <summary>
/// Maps the 32-bit local indices carried in sender/receiver fields (whitepaper §5.4.2) to their owner:
/// an in-flight handshake (keypair null) or a keypair. Indices are random u32s from a CSPRNG, redrawn on
/// collision (wireguard-go <c>indextable.go</c>), so they reveal nothing about peer count or order.
/// Lookup is a dictionary probe: no allocation on the packet path.
/// </summary>
public sealed class IndexTable<TPeer> where TPeer : class
{
    public readonly record struct Entry(TPeer Peer, Keypair? Keypair);

    private readonly Dictionary<uint, Entry> _entries = new();
    private readonly Func<uint>? _random;

    /// <param name="random">Index source for tests; defaults to <see cref="RandomNumberGenerator"/>.</param>
    public IndexTable(Func<uint>? random = null) => _random = random;

    public int Count => _entries.Count;

    public uint NewIndex(TPeer peer)
    {
        while (true)
        {
            uint index = Draw();
            if (index != 0 && _entries.TryAdd(index, new Entry(peer, null))) return index;
        }
    }

    /// <summary>
    /// A fresh index whose top bits carry <paramref name="hint"/> (Noise/LinkHint.cs): the low bits start
    /// at a random value and step until the index is free and non-zero, so it stays unique among this
    /// node's live handshakes and keypairs. Only if all 2^LowBits indices with that hint are taken (never,
    /// in practice: a link holds at most a pending handshake and three keypairs) does it fall back to a
    /// random index, which the responder then finds by the metered scan instead.
    /// </summary>
    public uint NewHintedIndex(TPeer peer, uint hint)
    {
        uint start = Draw();
        for (uint i = 0; i <= Noise.LinkHint.LowMask; i++)
        {
            uint index = Noise.LinkHint.MakeIndex(hint, start + i);
            if (index != 0 && _entries.TryAdd(index, new Entry(peer, null))) return index;
        }

        return NewIndex(peer);
    }

    public void Assign(uint index, TPeer peer, Keypair? keypair) => _entries[index] = new Entry(peer, keypair);

    public bool TryGet(uint index, out Entry entry) => _entries.TryGetValue(index, out entry);

    public void Remove(uint index)
    {
        if (index != 0) _entries.Remove(index);
    }

    private uint Draw()
    {
        if (_random is not null) return _random();
        Span<byte> b = stackalloc byte[4];
        RandomNumberGenerator.Fill(b);
        return BitConverter.ToUInt32(b);
    }
}
