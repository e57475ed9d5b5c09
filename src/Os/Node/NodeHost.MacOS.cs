using Overlay.Protocol.Config;

namespace Overlay.Os.Node;

public sealed partial class NodeHost
{
    /// <summary>utun: the kernel picks utunN, so tun_name (Linux-only) is not asked for.</summary>
    private static partial string RequestedTunName(OverlayConfig config) => "";
}
