using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Overlay.Os.Control;

/// <summary>
/// Who is on the other end of an accepted control connection, and whether they may talk
/// to the daemon (DESIGN.md §7: "mode 0600 and a peer-credential check"). The socket's file
/// mode already keeps other users out; the credential check is the second lock, and the one
/// that still holds when an operator loosens the file mode or the directory.
/// The kernel query is per OS: Linux SO_PEERCRED (socket(7)), macOS LOCAL_PEERCRED (unix(4)).
/// </summary>
internal static partial class PeerCredentials
{
    /// <summary>Root and the daemon's own effective user may use the control plane; nobody else.</summary>
    internal static bool IsAuthorized(uint peerUid, uint daemonUid) => peerUid == 0 || peerUid == daemonUid;

    internal static string DenialMessage(uint peerUid)
        => $"permission denied: uid {peerUid} is not root or the daemon's user";

    /// <summary>The daemon's effective uid (geteuid(2)); cannot fail.</summary>
    internal static uint DaemonUid() => geteuid();

    /// <summary>Reads the connecting process's uid; false with a reason when the kernel will not say.</summary>
    internal static bool TryGetPeerUid(Socket socket, out uint uid, out string? error)
    {
        try
        {
            return TryGetPeerUidCore(socket, out uid, out error);
        }
        catch (SocketException ex)
        {
            uid = 0;
            error = $"cannot read peer credentials: {ex.Message}";
            return false;
        }
    }

    private static partial bool TryGetPeerUidCore(Socket socket, out uint uid, out string? error);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();
}
