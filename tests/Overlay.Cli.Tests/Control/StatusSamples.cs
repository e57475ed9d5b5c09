using Overlay.Protocol.Stats;

namespace Overlay.Cli.Tests.Control;

/// <summary>Shared fixtures for the CLI's control-socket commands (status, metrics).</summary>
internal static class StatusSamples
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    /// <summary>Node counters with a distinct value in every traffic field and two drop reasons.</summary>
    public static Counters Counters()
    {
        var counters = new Counters
        {
            TunRxPackets = 10, TunRxBytes = 1200, TunTxPackets = 12, TunTxBytes = 3500,
            UdpRxPackets = 20, UdpRxBytes = 2_500_000, UdpTxPackets = 22, UdpTxBytes = 900,
            RelayPackets = 5, RelayBytes = 600,
            HandshakeInitiationsSent = 1, HandshakeInitiationsReceived = 2,
            HandshakeResponsesSent = 3, HandshakeResponsesReceived = 4,
            CookieRepliesSent = 5, CookieRepliesReceived = 6,
            KeepalivesSent = 7, KeepalivesReceived = 8, SessionsEstablished = 9,
        };
        for (int i = 0; i < 3; i++) counters.Drop(DropReason.NoRoute);
        counters.Drop(DropReason.InvalidMac1);
        return counters;
    }
}

/// <summary>A private directory for a test's control socket (short path: Unix socket paths are limited to ~104 bytes).</summary>
public abstract class SocketDirectoryTest : IDisposable
{
    private readonly string _dir = Path.Combine("/tmp", "cli-" + Guid.NewGuid().ToString("N")[..12]);

    protected string SocketPath => Path.Combine(_dir, "subnetra.sock");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
