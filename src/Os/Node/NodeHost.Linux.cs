using Overlay.Protocol.Config;

namespace Overlay.Os.Node;

public sealed partial class NodeHost
{
    /// <summary>Linux names the tun after tun_name (TUNSETIFF).</summary>
    private static partial string RequestedTunName(OverlayConfig config) => config.TunName;
}
