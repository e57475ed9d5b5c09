namespace Overlay.Protocol.Timers;

/// <summary>
/// WireGuard protocol constants under their spec names (whitepaper §6.1 "Preliminaries";
/// wireguard-go <c>device/constants.go</c>; kernel <c>messages.h</c>; reference/wireguard.md §2.1).
/// Durations are <see cref="TimeSpan"/>s; the engine converts them to <see cref="TimeProvider"/>
/// timestamp units once.
/// </summary>
public static class ProtocolTimes
{
    /// <summary>REKEY_AFTER_MESSAGES = 2^60 (constants.go <c>RekeyAfterMessages</c>).</summary>
    public const ulong RekeyAfterMessages = 1UL << 60;

    /// <summary>REJECT_AFTER_MESSAGES = 2^64 − 2^13 − 1 (constants.go <c>RejectAfterMessages</c>).</summary>
    public const ulong RejectAfterMessages = ulong.MaxValue - (1UL << 13);

    /// <summary>REKEY_AFTER_TIME = 120 s: the initiator starts a new handshake when sending on an older keypair.</summary>
    public static readonly TimeSpan RekeyAfterTime = TimeSpan.FromSeconds(120);

    /// <summary>REJECT_AFTER_TIME = 180 s: a keypair older than this is never used to send or receive.</summary>
    public static readonly TimeSpan RejectAfterTime = TimeSpan.FromSeconds(180);

    /// <summary>REKEY_ATTEMPT_TIME = 90 s: how long handshake retries go on before giving up.</summary>
    public static readonly TimeSpan RekeyAttemptTime = TimeSpan.FromSeconds(90);

    /// <summary>REKEY_TIMEOUT = 5 s between handshake retransmissions (plus jitter).</summary>
    public static readonly TimeSpan RekeyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Jitter added to REKEY_TIMEOUT: uniform in [0, 333] ms (constants.go <c>RekeyTimeoutJitterMaxMs = 334</c>).</summary>
    public const int RekeyTimeoutJitterMaxMs = 334;

    /// <summary>KEEPALIVE_TIMEOUT = 10 s: passive keepalive after data received with nothing sent.</summary>
    public static readonly TimeSpan KeepaliveTimeout = TimeSpan.FromSeconds(10);

    /// <summary>MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT = 18.</summary>
    public const int MaxTimerHandshakes = 18;

    /// <summary>All key material is zeroed after 3 × REJECT_AFTER_TIME = 540 s without a new session.</summary>
    public static readonly TimeSpan ZeroKeyMaterialAfter = TimeSpan.FromSeconds(540);

    /// <summary>COOKIE_REFRESH_TIME = 120 s: cookie secret lifetime and a received cookie's validity.</summary>
    public static readonly TimeSpan CookieRefreshTime = TimeSpan.FromSeconds(120);

    /// <summary>Minimum interval between consumed initiations from one peer: 1 s / 50 = 20 ms (<c>HandshakeInitationRate</c>).</summary>
    public static readonly TimeSpan HandshakeInitiationRate = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The initiator re-handshakes once when receiving on a keypair older than
    /// REJECT_AFTER_TIME − KEEPALIVE_TIMEOUT − REKEY_TIMEOUT = 165 s (timers.go <c>keepKeyFreshReceiving</c>).
    /// </summary>
    public static readonly TimeSpan RekeyOnReceiveAfter = RejectAfterTime - KeepaliveTimeout - RekeyTimeout;

    /// <summary>Packets held per peer while waiting for a handshake (<c>QueueStagedSize</c>, kernel <c>MAX_STAGED_PACKETS</c>).</summary>
    public const int MaxStagedPackets = 128;

    /// <summary>Under-load rate limiter: 20 handshakes per second per source, burst 5 (ratelimiter.go).</summary>
    public const int RateLimitPacketsPerSecond = 20;
    public const int RateLimitBurst = 5;
}
