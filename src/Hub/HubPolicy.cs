using Overlay.Os.Node;

namespace Overlay.Hub;

/// <summary>
/// Hub role policy. The packet path (relay between spokes, no reflection, inner-source
/// checks) is shared in <see cref="NodeEngine"/>; what is the hub's own is the decision
/// when it is "under load": a hub faces the internet and may be flooded with initiations,
/// each costing two X25519 operations (~60 µs). While under load, initiations without a
/// valid mac2 get a cookie reply instead (WireGuard §5.3), so a flood from spoofed sources
/// costs one BLAKE2s each.
///
/// wireguard-go calls a device under load when 128 handshakes are queued and keeps the
/// state for 1 s (device.IsUnderLoad); with one synchronous loop there is no queue, so we
/// count handshake messages instead: more than <see cref="HandshakesPerTurnLimit"/> in one
/// loop turn (a full receive burst) or <see cref="HandshakesPerSecondLimit"/> in a second.
/// </summary>
public sealed class HubPolicy : IRolePolicy
{
    public const int HandshakesPerTurnLimit = 64;
    public const int HandshakesPerSecondLimit = 256;
    /// <summary>UnderLoadAfterTime (wireguard-go device/constants.go): sticky for 1 s.</summary>
    public static readonly TimeSpan UnderLoadAfterTime = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private int _thisTurn;
    private int _thisSecond;
    private long _secondStart;
    private long _underLoadUntil;
    private long _now;

    public HubPolicy(TimeProvider time)
    {
        _time = time;
        _secondStart = time.GetTimestamp();
    }

    public string Role => "hub";

    public void OnStart(NodeEngine node) { }

    public void OnTurn(NodeEngine node)
    {
        _now = _time.GetTimestamp();
        _thisTurn = 0;
        if (_time.GetElapsedTime(_secondStart, _now) >= TimeSpan.FromSeconds(1))
        {
            _secondStart = _now;
            _thisSecond = 0;
        }
        node.WireGuard.UnderLoad = _now < _underLoadUntil;
    }

    public void OnHandshakeMessage(NodeEngine node)
    {
        _thisTurn++;
        _thisSecond++;
        if (_thisTurn > HandshakesPerTurnLimit || _thisSecond > HandshakesPerSecondLimit)
        {
            _underLoadUntil = _now + (long)(UnderLoadAfterTime.TotalSeconds * _time.TimestampFrequency);
            node.WireGuard.UnderLoad = true;
        }
    }
}
