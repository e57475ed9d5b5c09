using System.Buffers.Binary;
using System.Net.Sockets;

namespace Overlay.Os.Control;

internal static partial class PeerCredentials
{
    // <sys/socket.h> on Linux; socket(7) SO_PEERCRED returns struct ucred { pid_t pid; uid_t uid; gid_t gid; }.
    private const int SOL_SOCKET = 1;
    private const int SO_PEERCRED = 17;
    internal const int UcredSize = 12;

    private static partial bool TryGetPeerUidCore(Socket socket, out uint uid, out string? error)
    {
        Span<byte> ucred = stackalloc byte[UcredSize];
        int length = socket.GetRawSocketOption(SOL_SOCKET, SO_PEERCRED, ucred);
        if (length < UcredSize)
        {
            uid = 0;
            error = $"cannot read peer credentials: SO_PEERCRED returned {length} bytes, expected {UcredSize}";
            return false;
        }
        // Native byte order: the kernel fills the struct in host order.
        uid = BitConverter.IsLittleEndian
            ? BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..])
            : BinaryPrimitives.ReadUInt32BigEndian(ucred[4..]);
        error = null;
        return true;
    }
}
