using System.Text.Json.Nodes;
using Overlay.Integration.Tests.Harness;

namespace Overlay.Integration.Tests.Daemon.Kit;

/// <summary>
/// Our daemons on a <see cref="Topology"/>: a hub in the hub namespace and one spoke daemon per spoke namespace,
/// one fresh PSK per link, each with a run-unique tun name. The hub starts first (so the spokes' first initiations
/// find it listening), then the spokes together; every daemon's network plan is applied once it is ready.
/// </summary>
public sealed class OverlayStar
{
    private OverlayStar(Topology topology, OverlayDaemon hub, IReadOnlyList<OverlayDaemon> spokes, IReadOnlyList<string> psks)
    {
        Topology = topology;
        Hub = hub;
        Spokes = spokes;
        Psks = psks;
    }

    public Topology Topology { get; }

    public OverlayDaemon Hub { get; }

    public IReadOnlyList<OverlayDaemon> Spokes { get; }

    /// <summary>The PSK of the link hub - spoke i is Psks[i - 1].</summary>
    public IReadOnlyList<string> Psks { get; }

    public OverlayDaemon[] All => [Hub, .. Spokes];

    /// <summary>Spoke daemon by 1-based index, as <see cref="Topology.Spoke"/>.</summary>
    public OverlayDaemon Spoke(int index) => Spokes[index - 1];

    /// <summary>
    /// Builds configs for every node of <paramref name="topology"/> and starts them. <paramref name="spokePsk"/> may
    /// replace the PSK a given spoke (1-based) puts in its own config, to build a mismatched link.
    /// </summary>
    public static async Task<OverlayStar> StartAsync(Topology topology, Func<int, string, string>? spokePsk = null)
    {
        var psks = topology.Spokes.Select(_ => OverlayConfigs.NewPsk()).ToArray();
        JsonObject hubConfig = OverlayConfigs.Hub(
            OverlayConfigs.NewTunName(),
            topology.Spokes.Select((s, i) => OverlayConfigs.HubPeer(s, psks[i])));
        OverlayDaemon hub = OverlayDaemon.Create(topology.Hub, hubConfig);
        var spokes = topology.Spokes
            .Select((s, i) => OverlayDaemon.Create(
                s, OverlayConfigs.Spoke(s, OverlayConfigs.NewTunName(), spokePsk?.Invoke(s.Index, psks[i]) ?? psks[i])))
            .ToArray();

        await hub.StartAsync().ConfigureAwait(false);
        await Task.WhenAll(spokes.Select(s => s.StartAsync())).ConfigureAwait(false);
        return new OverlayStar(topology, hub, spokes, psks);
    }

    /// <summary>Status and output tail of every daemon, for assertion messages.</summary>
    public string Describe() => DaemonKit.Describe(All);
}
