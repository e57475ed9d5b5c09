namespace Overlay.Os.Udp;

public sealed unsafe partial class UdpSocket
{
    /// <summary>macOS has no SO_MARK; as in wireguard-go the fwmark is kept for get and otherwise ignored.</summary>
    public void SetMark(uint mark)
    {
    }
}
