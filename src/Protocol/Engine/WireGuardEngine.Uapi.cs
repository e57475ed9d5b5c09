using System.Security.Cryptography;

namespace Overlay.Protocol.Engine;

/// <summary>
/// Changes a WireGuard UAPI <c>set</c> makes to a live peer that have no other entry point
/// (reference/wireguard.md §4.4). Loop thread only, between packets.
/// </summary>
public sealed partial class WireGuardEngine
{
    /// <summary>
    /// Replaces the peer's preshared key (32 bytes; all zero = none). As in wireguard-go the
    /// running sessions stay; the next handshake mixes in the new key.
    /// </summary>
    public void SetPresharedKey(WireGuardPeer peer, ReadOnlySpan<byte> psk)
    {
        if (psk.Length != 32) throw new ArgumentException("psk must be 32 bytes", nameof(psk));
        CryptographicOperations.ZeroMemory(peer.Psk);
        psk.CopyTo(peer.Psk);
    }

    /// <summary>
    /// Gives <paramref name="to"/> the rx/tx byte counters and last handshake time of <paramref name="from"/>:
    /// a private-key change re-creates every peer under the new identity, and wireguard-go keeps those
    /// values across it (only the keypairs expire), so <c>wg show</c> must not see them reset.
    /// </summary>
    public static void CarryOverStats(WireGuardPeer from, WireGuardPeer to)
    {
        to.RxBytes = from.RxBytes;
        to.TxBytes = from.TxBytes;
        to.LastHandshake = from.LastHandshake;
    }
}
