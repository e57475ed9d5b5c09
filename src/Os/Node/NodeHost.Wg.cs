using System.Net;
using Overlay.Os.Loop;
using Overlay.Os.Tun;
using Overlay.Os.Udp;
using Overlay.Protocol.Config;

namespace Overlay.Os.Node;

public sealed partial class NodeHost
{
    /// <summary>
    /// Opens a plain WireGuard node for subnetra-wg (issue 15): the tun named
    /// <paramref name="interfaceName"/> (macOS: "utun" lets the kernel pick), one dual-stack UDP
    /// socket on a random port (as wireguard-go before listen_port is set), no peers and an empty
    /// table; a <see cref="WgDevice"/> configured over the UAPI fills them in. The interface starts
    /// at <paramref name="mtu"/>; changing it later (packets up to <see cref="NodeDataPath.MaxPlainPacket"/>) needs no restart.
    /// </summary>
    public static NodeHost OpenPlain(string interfaceName, NodeLog log, int mtu = OverlayConfig.DefaultTunMtu, TimeProvider? time = null)
    {
        var config = new OverlayConfig
        {
            SourcePath = "(uapi)",
            Role = NodeRole.Manual,
            VirtualSubnet = new IPNetwork(IPAddress.Any, 0),
            LocalId = 1,
            TunMtu = mtu,
            EffectiveListenPorts = [0],
            LocalRoutes = [],
            RemoteRoutes = [],
            KeepaliveSecs = 0,
            TunName = interfaceName,
            NegotiationVersion = 1,
            Peers = [],
        };
        NodeSetup built = NodeSetupBuilder.Build(config);
        // wg-quick and netns.sh set the interface MTU after the daemon is up (ip link set mtu N):
        // the frames hold the largest packet one UDP datagram can carry, so any MTU up to that
        // works without a restart, and padding follows the MTU the daemon re-reads (RefreshMtu).
        var setup = new NodeSetup
        {
            LocalId = built.LocalId,
            Mtu = mtu,
            MaxPacket = NodeDataPath.MaxPlainPacket,
            FollowsInterfaceMtu = true,
            Table = built.Table,
            Peers = built.Peers,
        };
        TunDevice? tun = null;
        UdpSocket? socket = null;
        PollLoop? loop = null;
        try
        {
            tun = TunDevice.Open(interfaceName, mtu);
            socket = UdpSocket.Bind(0);
            time ??= TimeProvider.System;
            loop = new PollLoop(time);   // one clock for the loop and the engine, as NodeHost.Open
            var node = new NodeDataPath(setup, tun, [socket], time, new PlainWgPolicy());
            loop.Register(tun.Handle, new TunReadable(node));
            loop.Register(socket.Handle, new UdpReadable(node, 0));
            string tunName = tun.Name;
            loop.FdMuted = (fd, revents) => log.Error(
                $"poll stopped watching fd {fd} ({(fd == tun.Handle ? "tun " + tunName : "the UDP socket")}) after repeated errors (revents 0x{revents:x})");
            var host = new NodeHost(config, setup, tun, [socket], loop, node, log);
            host.WgDevice = new WgDevice(node, new HostPorts(host));
            return host;
        }
        catch
        {
            loop?.Dispose();
            socket?.Dispose();
            tun?.Dispose();
            throw;
        }
    }

    /// <summary>The UAPI-configured device of a plain node (<see cref="OpenPlain"/>); null for hub and spoke.</summary>
    public WgDevice? WgDevice { get; private set; }

    /// <summary>listen_port and fwmark for the WgDevice: rebinding swaps the socket in the loop and the data path.</summary>
    private sealed class HostPorts(NodeHost host) : IWgHostPorts
    {
        private uint _mark;

        public int ListenPort => host._sockets[0].LocalPort;

        public int Rebind(int port)
        {
            UdpSocket next = UdpSocket.Bind(port);   // throws (EADDRINUSE) before anything changes
            UdpSocket old = host._sockets[0];
            try
            {
                if (_mark != 0) next.SetMark(_mark);
            }
            catch
            {
                next.Dispose();
                throw;
            }
            host._loop.Unregister(old.Handle);
            host._loop.Register(next.Handle, new UdpReadable(host.Node, 0));
            host.Node.ReplaceUdp(0, next);
            host._sockets[0] = next;
            old.Dispose();
            return next.LocalPort;
        }

        public void SetFwmark(uint mark)
        {
            host._sockets[0].SetMark(mark);
            _mark = mark;
        }
    }
}
