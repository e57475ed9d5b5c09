using Overlay.Os.Control;
using Overlay.Protocol.Control;
using Overlay.Protocol.Engine;

namespace Overlay.Os.Node;

/// <summary>
/// Answers control requests for a running node. The control server runs on its own
/// threads; every request is posted to the loop thread (through the wake pipe) and built
/// there, so the packet path never takes a lock and never waits on the control plane.
/// </summary>
public sealed class NodeControl
{
    private static readonly TimeSpan LoopTimeout = TimeSpan.FromSeconds(3);
    private readonly NodeHost _host;
    private readonly string _version;
    private readonly string _socketPath;

    public NodeControl(NodeHost host, string version, string socketPath)
    {
        _host = host;
        _version = version;
        _socketPath = socketPath;
    }

    public async ValueTask<ControlResponse> HandleAsync(ControlRequest request, CancellationToken ct)
    {
        var done = new TaskCompletionSource<ControlResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Post(() =>
        {
            try { done.TrySetResult(HandleOnLoop(request)); }
            catch (Exception e) { done.TrySetException(e); }
        });
        try
        {
            return await done.Task.WaitAsync(LoopTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return ControlResponse.Failure($"the packet loop did not answer within {LoopTimeout.TotalSeconds:0} s");
        }
    }

    private ControlResponse HandleOnLoop(ControlRequest request) => request.Command switch
    {
        ControlCommands.Status => ControlResponse.ForStatus(Snapshot(DateTimeOffset.UtcNow)),
        _ => ControlResponse.Failure($"unknown command '{request.Command}'"),
    };

    /// <summary>Builds the status snapshot; call on the loop thread.</summary>
    public StatusSnapshot Snapshot(DateTimeOffset now)
    {
        NodeEngine node = _host.Node;
        var peers = new List<PeerStatus>();
        foreach (WireGuardPeer p in node.WireGuard.Peers)
        {
            var allowed = ((NodePeer)p.Tag!).AllowedSources.Prefixes.Select(n => n.ToString()).ToArray();
            peers.Add(PeerStatus.Create(p.Id, p.Name, p.Endpoint.IsNone ? null : p.Endpoint.ToString(),
                p.LastHandshake, p.RxBytes, p.TxBytes, allowed, now));
        }
        return new StatusSnapshot
        {
            Version = _version,
            Role = node.Policy.Role,
            LocalId = _host.Config.LocalId,
            Tun = _host.TunName,
            UdpPorts = _host.UdpPorts,
            Socket = _socketPath,
            UptimeSeconds = (long)(now - _host.StartedAt).TotalSeconds,
            Peers = peers,
            Traffic = TrafficStats.From(node.Counters),
            Drops = StatusSnapshot.DropsFrom(node.Counters),
        };
    }
}
