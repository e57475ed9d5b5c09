using System.Net;
using Overlay.Protocol;

namespace Overlay.Os.Uapi;

/// <summary>
/// One parsed UAPI <c>set=1</c> request (reference/wireguard.md §4.4, wireguard.com/xplatform):
/// the device keys, then one <see cref="UapiPeerChange"/> per <c>public_key=</c> section, in the
/// order they came. Parsing validates everything first, so a request is applied whole or not at
/// all (wireguard-go applies line by line and leaves a half-applied set on an error; ours never does).
/// Holds key material: <see cref="Dispose"/> zeroes it.
/// </summary>
public sealed class UapiSetRequest : IDisposable
{
    /// <summary>32 bytes; all zero means "remove the private key". Null when not given.</summary>
    public byte[]? PrivateKey { get; internal set; }

    /// <summary>0..65535 (0 = a random port), or null when not given.</summary>
    public int? ListenPort { get; internal set; }

    /// <summary>SO_MARK for the UDP sockets (0 clears it), or null when not given.</summary>
    public uint? Fwmark { get; internal set; }

    /// <summary><c>replace_peers=true</c>: every existing peer goes before the sections apply.</summary>
    public bool ReplacePeers { get; internal set; }

    public List<UapiPeerChange> Peers { get; } = [];

    /// <summary>
    /// Sections parsed and dropped (wireguard-go's dummy peer: the device's own public key). They are
    /// never applied, but their preshared_key was parsed into a buffer: the request keeps them so
    /// <see cref="Dispose"/> zeroes that too.
    /// </summary>
    internal List<UapiPeerChange> Dropped { get; } = [];

    public void Dispose()
    {
        if (PrivateKey is not null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(PrivateKey);
        foreach (UapiPeerChange p in Peers)
            if (p.PresharedKey is not null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(p.PresharedKey);
        foreach (UapiPeerChange p in Dropped)
            if (p.PresharedKey is not null) System.Security.Cryptography.CryptographicOperations.ZeroMemory(p.PresharedKey);
    }
}

/// <summary>One peer section of a set: what to change on the peer named by <see cref="PublicKey"/>.</summary>
public sealed class UapiPeerChange
{
    public required byte[] PublicKey { get; init; }

    /// <summary><c>update_only=true</c>: change the peer only when it exists; never create it.</summary>
    public bool UpdateOnly { get; internal set; }

    /// <summary><c>remove=true</c>: remove the peer (other keys of the section are ignored, as in wireguard-go).</summary>
    public bool Remove { get; internal set; }

    /// <summary>32 bytes, all zero = none; null = unchanged.</summary>
    public byte[]? PresharedKey { get; internal set; }

    /// <summary>The new endpoint; null = unchanged.</summary>
    public UdpEndpoint? Endpoint { get; internal set; }

    /// <summary>Seconds 0..65535 (0 = off); null = unchanged.</summary>
    public int? PersistentKeepaliveInterval { get; internal set; }

    /// <summary><c>replace_allowed_ips=true</c>: this peer's prefixes are cleared before <see cref="AllowedIps"/> apply.</summary>
    public bool ReplaceAllowedIps { get; internal set; }

    /// <summary>Prefix operations in order: add (moves the prefix from any other peer) or, with a leading '-', remove.</summary>
    public List<UapiAllowedIpChange> AllowedIps { get; } = [];
}

/// <summary>One <c>allowed_ip=</c> line: the masked prefix, and whether it is removed (<c>allowed_ip=-prefix</c>).</summary>
public readonly record struct UapiAllowedIpChange(IPNetwork Prefix, bool Remove);
