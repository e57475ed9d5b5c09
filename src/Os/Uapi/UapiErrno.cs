namespace Overlay.Os.Uapi;

/// <summary>
/// The errno values a UAPI <c>set</c> reply carries (reference/wireguard.md §4.5: wireguard-go's
/// <c>ipc.IpcError*</c>, sent negative so wg(8) prints strerror). EIO and EINVAL are the same on
/// Linux and macOS; EPROTO and EADDRINUSE differ, so each OS file supplies them.
/// </summary>
public static partial class UapiErrno
{
    /// <summary>EIO: the loop did not answer, or an I/O failure while applying.</summary>
    public const int EIO = 5;

    /// <summary>EINVAL: a key or value wg-go would reject (<c>IpcErrorInvalid</c>).</summary>
    public const int EINVAL = 22;

    /// <summary>ENOANO (55 in wireguard-go on every OS): an error of no other kind.</summary>
    public const int Unknown = 55;
}
