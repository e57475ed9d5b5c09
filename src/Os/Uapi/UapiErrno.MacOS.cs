namespace Overlay.Os.Uapi;

public static partial class UapiErrno
{
    /// <summary>EPROTO (Darwin 100): a line that is not key=value (<c>IpcErrorProtocol</c>).</summary>
    public const int EPROTO = 100;

    /// <summary>EADDRINUSE (Darwin 48): listen_port cannot be bound (<c>IpcErrorPortInUse</c>).</summary>
    public const int EADDRINUSE = 48;
}
