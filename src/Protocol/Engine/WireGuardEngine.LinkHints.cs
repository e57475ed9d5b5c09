using System.Security.Cryptography;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Noise;
using Overlay.Protocol.Sessions;

namespace Overlay.Protocol.Engine;

/// <summary>
/// Link hints (DESIGN.md §4, docs/link-hint.md): our initiations carry a PSK-keyed hint in the top 28 bits
/// of the sender index, and inbound initiations are matched to their link through a table hint → candidate
/// peers holding every link's hints for the current bucket and both neighbours. The table is rebuilt when
/// the bucket changes (one BLAKE2s per link: the two older hints shift down) or peers were added/removed,
/// never per packet; a lookup is one dictionary probe plus a mac1 per candidate (expected at most one).
/// The wall clock is read once per bucket (at its predicted end), not per turn: between reads the bucket
/// is fixed, and a clock step is noticed at the next predicted boundary.
/// </summary>
public sealed partial class WireGuardEngine
{
    private struct HintEntry
    {
        public WireGuardPeer Peer;
        public int Next;
    }

    private readonly Dictionary<uint, int> _hintHeads = new();
    private HintEntry[] _hintEntries = [];
    private long _hintBucket = -1;
    private long _hintCheckAt = long.MinValue;
    private bool _hintTableDirty;

    /// <summary>The link-hint bucket in use (floor(unix seconds / 120)); tests and diagnostics.</summary>
    public long LinkHintBucket => _hintBucket;

    /// <summary>Initiations whose sender index hint picked a candidate that mac1 confirmed (the O(1) path).</summary>
    public long LinkHintMatches { get; private set; }

    /// <summary>Candidates a hint lookup offered and mac1 then rejected (chance hits of random indices).</summary>
    public long LinkHintMisses { get; private set; }

    /// <summary>
    /// Turns on link hints for <paramref name="peer"/>: this node (<paramref name="localId"/>) puts the hint of
    /// (localId, peer.Id) into its initiations to the peer and accepts the hint of (peer.Id, localId) in the
    /// peer's. Both ends derive the keys from the link PSK; a stock peer just sees opaque indices.
    /// </summary>
    public void EnableLinkHint(WireGuardPeer peer, int localId)
    {
        LinkHint.DeriveKey(peer.Psk, (uint)localId, (uint)peer.Id, peer.HintKeyOut);
        LinkHint.DeriveKey(peer.Psk, (uint)peer.Id, (uint)localId, peer.HintKeyIn);
        peer.HasLinkHint = true;
        if (_hintBucket < 0) ReadHintClock();
        for (int k = 0; k < 3; k++) peer.HintsIn[k] = LinkHint.Compute(peer.HintKeyIn, _hintBucket - 1 + k);
        _hintTableDirty = true;
    }

    /// <summary>The index for a new initiation to <paramref name="peer"/>: hinted when the link has a hint.</summary>
    private uint NewInitiationIndex(WireGuardPeer peer)
    {
        if (!peer.HasLinkHint) return _indices.NewIndex(peer);
        if (_hintBucket < 0) ReadHintClock();
        return _indices.NewHintedIndex(peer, LinkHint.Compute(peer.HintKeyOut, _hintBucket));
    }

    /// <summary>Per turn: cheap unless the bucket's predicted end has passed or peers changed.</summary>
    private void RefreshLinkHints()
    {
        if (_now >= _hintCheckAt)
        {
            long previous = _hintBucket;
            ReadHintClock();
            if (_hintBucket != previous && previous >= 0)
            {
                foreach (WireGuardPeer p in _peers)
                {
                    if (!p.HasLinkHint) continue;
                    if (_hintBucket == previous + 1)
                    {
                        p.HintsIn[0] = p.HintsIn[1];
                        p.HintsIn[1] = p.HintsIn[2];
                        p.HintsIn[2] = LinkHint.Compute(p.HintKeyIn, _hintBucket + 1);
                    }
                    else
                    {
                        for (int k = 0; k < 3; k++) p.HintsIn[k] = LinkHint.Compute(p.HintKeyIn, _hintBucket - 1 + k);
                    }
                }
                _hintTableDirty = true;
            }
        }
        if (_hintTableDirty) RebuildHintTable();
    }

    private void ReadHintClock()
    {
        long unix = _time.GetUtcNow().ToUnixTimeSeconds();
        _hintBucket = LinkHint.Bucket(unix);
        long secondsLeft = (_hintBucket + 1) * LinkHint.BucketSeconds - Math.Max(unix, 0);
        _hintCheckAt = _now + Math.Max(1, secondsLeft) * _frequency;
    }

    private void RebuildHintTable()
    {
        _hintTableDirty = false;
        _hintHeads.Clear();
        int needed = 3 * _peers.Count;
        if (_hintEntries.Length < needed) _hintEntries = new HintEntry[needed];
        else Array.Clear(_hintEntries);
        _hintHeads.EnsureCapacity(needed);
        int n = 0;
        foreach (WireGuardPeer p in _peers)
        {
            if (!p.HasLinkHint || p.Removed) continue;
            for (int k = 0; k < 3; k++)
            {
                uint hint = p.HintsIn[k];
                if ((k >= 1 && hint == p.HintsIn[0]) || (k == 2 && hint == p.HintsIn[1])) continue;
                _hintEntries[n].Peer = p;
                _hintEntries[n].Next = _hintHeads.TryGetValue(hint, out int head) ? head : -1;
                _hintHeads[hint] = n;
                n++;
            }
        }
    }

    /// <summary>
    /// The identity an initiation's hint names, confirmed by mac1; null when the index carries no known hint
    /// or no candidate's mac1 matches. <paramref name="skip1"/>/<paramref name="skip2"/> were tried already.
    /// </summary>
    private LocalIdentity? FindIdentityByHint(ReadOnlySpan<byte> message, uint senderIndex, LocalIdentity? skip1, LocalIdentity? skip2)
    {
        if (_hintHeads.Count == 0 || !_hintHeads.TryGetValue(LinkHint.Of(senderIndex), out int e)) return null;
        for (; e >= 0; e = _hintEntries[e].Next)
        {
            WireGuardPeer candidate = _hintEntries[e].Peer;
            if (candidate.Removed) continue;
            LocalIdentity identity = candidate.Local;
            if (ReferenceEquals(identity, skip1) || ReferenceEquals(identity, skip2)) continue;
            if (Mac1Matches(identity, message))
            {
                LinkHintMatches++;
                return identity;
            }
            LinkHintMisses++;
        }
        return null;
    }

    /// <summary>Whether <paramref name="senderIndex"/> carries a hint in the table (tests, the fuzz harness).</summary>
    internal bool HasHintCandidates(uint senderIndex) => _hintHeads.ContainsKey(LinkHint.Of(senderIndex));

    /// <summary>
    /// The hint step alone, as <see cref="FindIdentityByMac1"/> runs it (tests: a million random initiations
    /// must never get past it, and that test must not pay for the scan behind it).
    /// </summary>
    internal bool ReachesHintFastPath(ReadOnlySpan<byte> initiation) =>
        FindIdentityByHint(initiation, MessageLayout.ReadIndex(initiation, MessageLayout.InitSenderOffset), null, null) is not null;

    private static void ZeroLinkHint(WireGuardPeer peer)
    {
        peer.HasLinkHint = false;
        CryptographicOperations.ZeroMemory(peer.HintKeyOut);
        CryptographicOperations.ZeroMemory(peer.HintKeyIn);
    }
}
