namespace Overlay.Os.Uapi;

public static partial class UapiErrno
{
    /// <summary>EPROTO (Linux 71): a line that is not key=value (<c>IpcErrorProtocol</c>).</summary>
    public const int EPROTO = 71;

    /// <summary>EADDRINUSE (Linux 98): listen_port cannot be bound (<c>IpcErrorPortInUse</c>).</summary>
    public const int EADDRINUSE = 98;
}
