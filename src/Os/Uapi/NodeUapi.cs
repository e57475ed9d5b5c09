using Overlay.Os.Node;
using Overlay.Protocol.Engine;

namespace Overlay.Os.Uapi;

/// <summary>
/// Feeds a <see cref="UapiServer"/> from a running node: each <c>get=1</c> posts one action to
/// the loop thread (through the wake pipe, like control requests) that copies the device state
/// into a <see cref="UapiDevice"/>; the socket thread waits for it, so the packet path never
/// takes a lock.
/// </summary>
public sealed class NodeUapi
{
    private static readonly TimeSpan LoopTimeout = TimeSpan.FromSeconds(3);
    private readonly NodeHost _host;

    public NodeUapi(NodeHost host) => _host = host;

    /// <summary>Starts the UAPI socket for this node's tun (<see cref="UapiPaths.SocketPath"/>).</summary>
    public UapiServer Start(Action<string>? log = null) => UapiServer.Start(UapiPaths.SocketPath(_host.TunName), SnapshotAsync, log);

    /// <summary>Takes a snapshot on the loop thread; throws <see cref="TimeoutException"/> when the loop does not run it in time.</summary>
    public async Task<UapiDevice> SnapshotAsync(CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<UapiDevice>(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Post(() =>
        {
            try { done.TrySetResult(Snapshot(_host.Node, _host.UdpPorts)); }
            catch (Exception e) { done.TrySetException(e); }
        });
        try
        {
            return await done.Task.WaitAsync(LoopTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the packet loop did not answer within {LoopTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// Copies the node's WireGuard state. Call on the loop thread. The device private key is
    /// reported only when every peer uses the same local identity (an explicit
    /// <c>private_key</c>, or a single PSK-derived link such as a spoke's); a hub with
    /// PSK-derived links has one key per peer and reports none.
    /// </summary>
    public static UapiDevice Snapshot(NodeDataPath node, IReadOnlyList<int> udpPorts)
    {
        var peers = new List<UapiPeer>(node.WireGuard.Peers.Count);
        LocalIdentity? single = null;
        bool several = false;
        foreach (WireGuardPeer p in node.WireGuard.Peers)
        {
            if (single is null) single = p.Local;
            else if (!ReferenceEquals(single, p.Local)) several = true;
            // AllowedSources is immutable (replaced whole on reload): the reply can format it off the loop.
            peers.Add(UapiPeer.From(p, p.RemoteStatic.ToArray(), node.StateOf(p).AllowedSources.Prefixes));
        }
        byte[]? privateKey = null;
        if (single is not null && !several)
        {
            privateKey = new byte[32];
            single.CopyPrivateKey(privateKey);
        }
        return new UapiDevice
        {
            PrivateKey = privateKey,
            ListenPort = udpPorts.Count > 0 ? udpPorts[0] : 0,
            Peers = peers,
        };
    }
}
