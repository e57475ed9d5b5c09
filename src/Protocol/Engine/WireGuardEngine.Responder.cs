using Overlay.Protocol.Messages;
using Overlay.Protocol.Sessions;
using Overlay.Protocol.Stats;

namespace Overlay.Protocol.Engine;

/// <summary>
/// Responder selection (DESIGN.md §4): which local identity an initiation targets. In order: the identity of
/// the peer at the datagram's source endpoint, the explicit identity, the link hint in the sender index
/// (WireGuardEngine.LinkHints.cs), and only then a mac1 scan of the other identities. The scan is metered:
/// <see cref="Mac1ScanBudgetPerTurn"/> trials per loop turn in all, at most <see cref="Mac1ScanSourceShare"/>
/// of them per source (IPv4 /32, IPv6 /64: <see cref="SourceKey"/>) per turn, and the last quarter of the
/// budget only for sources not seen flooding (a source whose scan was cut off by its share is marked as
/// flooding for a second, and while marked its share is a sixteenth). So junk from one source costs bounded CPU and cannot use up the turn for stock
/// WireGuard peers joining from elsewhere. Spoofed sources defeat the per-source share; see
/// docs/link-hint.md and runbooks/troubleshooting.md for that residual risk and its counters.
/// </summary>
public sealed partial class WireGuardEngine
{
    /// <summary>Per-source accounting slots (a keyed hash of the source picks one; sharing one only tightens the ration).</summary>
    private const int ScanSourceSlots = 1024;

    private readonly int[] _scanSpent = new int[ScanSourceSlots];
    private readonly long[] _scanSpentTurn = new long[ScanSourceSlots];
    private readonly long[] _scanFloodingUntil = new long[ScanSourceSlots];
    private readonly long _scanKey;
    private long _scanTurn;
    private int _scanBudgetLeft;
    private int _scanCursor;

    /// <summary>mac1 trials the identity scan may spend per loop turn (<see cref="WireGuardEngineOptions.Mac1ScanBudgetPerTurn"/>).</summary>
    public int Mac1ScanBudgetPerTurn => _options.Mac1ScanBudgetPerTurn;

    /// <summary>Scan trials one source may spend per turn (<see cref="WireGuardEngineOptions.Mac1ScanSourceShare"/>).</summary>
    public int Mac1ScanSourceShare => _options.Mac1ScanSourceShare ?? _options.Mac1ScanBudgetPerTurn / 4;

    /// <summary>Scan trials spent so far (metrics, tests).</summary>
    public long Mac1ScanTrials { get; private set; }

    private void BeginScanTurn()
    {
        _scanBudgetLeft = Mac1ScanBudgetPerTurn;
        _scanTurn++;
    }

    private LocalIdentity? FindIdentityByMac1(ReadOnlySpan<byte> message, in UdpEndpoint source, out DropReason reason)
    {
        LocalIdentity? first = null;
        if (_byEndpoint.TryGetValue(source, out var known))
        {
            first = known.Local;
            if (Mac1Matches(first, message)) { reason = default; return first; }
        }
        if (_explicit is not null && !ReferenceEquals(_explicit, first))
        {
            if (Mac1Matches(_explicit, message)) { reason = default; return _explicit; }
        }
        uint senderIndex = MessageLayout.ReadIndex(message, MessageLayout.InitSenderOffset);
        if (FindIdentityByHint(message, senderIndex, first, _explicit) is { } hinted) { reason = default; return hinted; }
        return ScanForIdentity(message, source, first, out reason);
    }

    /// <summary>
    /// The metered scan. It resumes where the last one stopped, so with more identities than one turn allows
    /// every identity is still reached within a few turns.
    /// </summary>
    private LocalIdentity? ScanForIdentity(ReadOnlySpan<byte> message, in UdpEndpoint source, LocalIdentity? first, out DropReason reason)
    {
        int slot = ScanSlot(source);
        if (_scanSpentTurn[slot] != _scanTurn)
        {
            _scanSpentTurn[slot] = _scanTurn;
            _scanSpent[slot] = 0;
        }
        bool flooding = _now < _scanFloodingUntil[slot];
        // Sources seen flooding may not touch the reserve kept for the others, and get a sixteenth of the
        // share: a flood from one address then costs a few dozen mac1 per turn, not a thousand.
        int reserve = flooding ? Mac1ScanBudgetPerTurn / 4 : 0;
        int share = flooding ? Math.Max(1, Mac1ScanSourceShare / 16) : Mac1ScanSourceShare;

        int count = _identities.Count;
        if (_scanCursor >= count) _scanCursor = 0;
        for (int n = 0; n < count; n++)
        {
            int i = _scanCursor + n;
            if (i >= count) i -= count;
            LocalIdentity candidate = _identities[i];
            if (ReferenceEquals(candidate, first) || ReferenceEquals(candidate, _explicit)) continue;
            if (_scanBudgetLeft <= reserve)
            {
                _scanCursor = i;
                reason = DropReason.Mac1ScanBudget;
                return null;
            }
            if (_scanSpent[slot] >= share)
            {
                _scanCursor = i;
                _scanFloodingUntil[slot] = _now + _frequency;
                reason = DropReason.Mac1ScanRationed;
                return null;
            }
            _scanBudgetLeft--;
            _scanSpent[slot]++;
            Mac1ScanTrials++;
            if (Mac1Matches(candidate, message)) { reason = default; return candidate; }
        }
        reason = DropReason.InvalidMac1;
        return null;
    }

    private int ScanSlot(in UdpEndpoint source)
    {
        SourceKey key = SourceKey.Of(source);
        // Keyed per engine so a remote sender cannot aim at another source's slot.
        ulong h = (key.High ^ (ulong)_scanKey) * 0x9E3779B97F4A7C15UL;
        h = (h ^ key.Low ^ (h >> 29)) * 0xBF58476D1CE4E5B9UL;
        return (int)((h ^ (h >> 32)) & (ScanSourceSlots - 1));
    }
}
