using Overlay.Os.Loop;
using Overlay.Os.Tun;
using Overlay.Os.Udp;
using Overlay.Protocol.Config;

namespace Overlay.Os.Node;

/// <summary>
/// The real node: opens the tun (Linux) or utun (macOS) and one UDP socket per listen port,
/// registers them with one <see cref="PollLoop"/>, and runs the <see cref="NodeDataPath"/> on
/// the calling thread until <see cref="Stop"/>. Everything opened is closed on every error
/// path and on dispose.
/// </summary>
public sealed partial class NodeHost : IDisposable
{
    private readonly TunDevice _tun;
    private readonly UdpSocket[] _sockets;
    private readonly PollLoop _loop;
    private readonly NodeMonitor _monitor;

    public NodeDataPath Node { get; }
    /// <summary>The config the daemon started with (tun, ports, MTU never change while it runs).</summary>
    public OverlayConfig Config { get; }
    /// <summary>Live policy and reload; use on the loop thread only (<see cref="Post"/>).</summary>
    public NodeConfigurator Configurator { get; }
    public string TunName => _tun.Name;
    /// <summary>
    /// The bound ports now: a subnetra-wg <c>listen_port</c> set rebinds the socket (on the loop), and
    /// status must show the new port, not the random one the interface started with.
    /// </summary>
    public IReadOnlyList<int> UdpPorts => Array.ConvertAll(_sockets, s => s.LocalPort);
    public DateTimeOffset StartedAt { get; }

    private NodeHost(OverlayConfig config, NodeSetup setup, TunDevice tun, UdpSocket[] sockets, PollLoop loop, NodeDataPath node, NodeLog log)
    {
        Config = config;
        Configurator = new NodeConfigurator(node, config, setup);
        _tun = tun;
        _sockets = sockets;
        _loop = loop;
        Node = node;
        StartedAt = DateTimeOffset.UtcNow;
        _monitor = new NodeMonitor(node, log);
        _interfaceMtu = setup.Mtu;
    }

    /// <summary>Opens devices and sockets for a validated config. Throws with the failing call and the fix.</summary>
    public static NodeHost Open(OverlayConfig config, IRolePolicy policy, NodeLog log, TimeProvider? time = null)
    {
        NodeSetup setup = NodeSetupBuilder.Build(config);
        string requestedTun = RequestedTunName(config);
        TunDevice? tun = null;
        var sockets = new List<UdpSocket>();
        PollLoop? loop = null;
        try
        {
            tun = TunDevice.Open(requestedTun, config.TunMtu);
            if (tun.OffloadNote is { } offloadNote) log.Info($"{tun.Name}: {offloadNote}");
            foreach (ushort port in config.EffectiveListenPorts) sockets.Add(UdpSocket.Bind(port));
            time ??= TimeProvider.System;
            loop = new PollLoop(time);   // one clock for the loop and the engine
            var node = new NodeDataPath(setup, tun, sockets.ToArray(), time, policy);
            loop.Register(tun.Handle, new TunReadable(node));
            for (int i = 0; i < sockets.Count; i++) loop.Register(sockets[i].Handle, new UdpReadable(node, i));
            string tunName = tun.Name;
            loop.FdMuted = (fd, revents) => log.Error(
                $"poll stopped watching fd {fd} ({(fd == tun.Handle ? "tun " + tunName : "a UDP socket")}) after repeated errors (revents 0x{revents:x}); " +
                "the node cannot move packets through it: restart subnetrad");
            return new NodeHost(config, setup, tun, sockets.ToArray(), loop, node, log);
        }
        catch
        {
            loop?.Dispose();
            foreach (UdpSocket s in sockets) s.Dispose();
            tun?.Dispose();
            throw;
        }
    }

    /// <summary>The name to ask the OS for; each OS file supplies it (NodeHost.Linux.cs, NodeHost.MacOS.cs).</summary>
    private static partial string RequestedTunName(OverlayConfig config);

    /// <summary>Runs the loop on the calling thread until <see cref="Stop"/>.</summary>
    public void Run()
    {
        _loop.Post(Node.Start);
        _loop.Run(_monitor);
    }

    /// <summary>Thread-safe (signal handlers, control plane).</summary>
    public void Stop() => _loop.Stop();

    /// <summary>
    /// True while the tun's interface exists, wherever it lives (<see cref="TunDevice.IsAttached"/>):
    /// subnetra-wg exits when it is deleted, not when it is moved into another namespace. Any thread.
    /// </summary>
    public bool TunAttached => _tun.IsAttached;

    /// <summary>
    /// Re-reads the interface's MTU (subnetra-wg, off the packet path, a few times a second) and,
    /// when it changed, has the loop pad to it from then on and returns it; 0 when it did not change
    /// or cannot be read (then nothing changes, as wireguard-go keeps its last MTU). Any thread.
    /// </summary>
    public int RefreshMtu()
    {
        int mtu = _tun.QueryMtu();
        if (mtu <= 0 || mtu == Volatile.Read(ref _interfaceMtu)) return 0;
        Volatile.Write(ref _interfaceMtu, mtu);
        _loop.Post(() => Node.SetMtu(mtu));
        return mtu;
    }

    private int _interfaceMtu;

    /// <summary>Runs an action on the loop thread (thread-safe); the data path never blocks on it.</summary>
    public void Post(Action action) => _loop.Post(action);

    public void Dispose()
    {
        _loop.Dispose();
        foreach (UdpSocket s in _sockets) s.Dispose();
        _tun.Dispose();
    }

    private sealed class TunReadable(NodeDataPath node) : IPollHandler
    {
        public void OnReadable() => node.OnTunReadable();
    }

    private sealed class UdpReadable(NodeDataPath node, int socket) : IPollHandler
    {
        public void OnReadable() => node.OnUdpReadable(socket);
    }
}
