namespace Overlay.Protocol.Stats;

/// <summary>
/// Why a packet was dropped. Every drop on the packet path increments exactly one of these
/// (DESIGN.md §7: "counters: traffic and every drop reason"). The snake_case names from
/// <see cref="DropReasons.Name"/> are what status, metrics and the runbooks use.
/// </summary>
public enum DropReason
{
    /// <summary>Datagram too short, wrong size for its type, unknown type or non-zero reserved bytes.</summary>
    InvalidMessage,
    /// <summary>mac1 did not match any local identity the scan was allowed to try.</summary>
    InvalidMac1,
    /// <summary>The per-turn mac1 scan budget was spent before this initiation could be tried (junk flood).</summary>
    Mac1ScanBudget,
    /// <summary>This source (IPv4 /32, IPv6 /64) had used its share of the turn's mac1 scan (junk from one source).</summary>
    Mac1ScanRationed,
    /// <summary>Under load and mac2 missing or stale: a cookie reply was sent instead of processing.</summary>
    UnderLoad,
    /// <summary>Under load with a valid cookie but over the per-source rate limit.</summary>
    RateLimited,
    /// <summary>Initiation decrypted to a static key no configured peer has, or the handshake AEAD failed.</summary>
    HandshakeFailed,
    /// <summary>Initiation TAI64N not newer than the last one from this peer (replayed initiation).</summary>
    HandshakeReplay,
    /// <summary>Initiations from one peer faster than 50/s (WireGuard's flood check).</summary>
    HandshakeFlood,
    /// <summary>Response or cookie reply for a handshake we do not have in flight.</summary>
    UnexpectedHandshake,
    /// <summary>Transport message whose receiver index names no live keypair.</summary>
    UnknownReceiverIndex,
    /// <summary>Transport message failed AEAD authentication.</summary>
    AuthenticationFailed,
    /// <summary>Transport counter already seen or too old for the 8128-counter window.</summary>
    Replay,
    /// <summary>Keypair older than REJECT_AFTER_TIME or past REJECT_AFTER_MESSAGES.</summary>
    StaleKey,
    /// <summary>Inner source address outside the sending peer's allowed_src.</summary>
    InnerSourceSpoofed,
    /// <summary>No forwarding-table entry for the inner destination.</summary>
    NoRoute,
    /// <summary>The route for a relayed packet points back at the peer it came from.</summary>
    NoReflect,
    /// <summary>Packet larger than the tunnel MTU or the frame.</summary>
    Oversized,
    /// <summary>Payload is not an IPv4/IPv6 packet or its length fields are inconsistent.</summary>
    NotIp,
    /// <summary>More than 128 packets waiting for a handshake to one peer.</summary>
    StagedQueueFull,
    /// <summary>Staged packets discarded because the handshake never completed (REKEY_ATTEMPT_TIME).</summary>
    HandshakeTimeout,
    /// <summary>The peer has no endpoint to send to yet (hub peer that never connected).</summary>
    NoEndpoint,
    /// <summary>sendto/sendmmsg or the tun write failed.</summary>
    SendError,
    /// <summary>Dropped by an explicit drop rule in the policy table.</summary>
    PolicyDrop,
}

public static class DropReasons
{
    public const int Count = (int)DropReason.PolicyDrop + 1;

    private static readonly string[] Names =
    [
        "invalid_message", "invalid_mac1", "mac1_scan_budget", "mac1_scan_rationed", "under_load", "rate_limited",
        "handshake_failed", "handshake_replay", "handshake_flood", "unexpected_handshake",
        "unknown_receiver_index", "authentication_failed", "replay", "stale_key",
        "inner_source_spoofed", "no_route", "no_reflect", "oversized", "not_ip",
        "staged_queue_full", "handshake_timeout", "no_endpoint", "send_error", "policy_drop",
    ];

    public static string Name(DropReason reason) => Names[(int)reason];
}
