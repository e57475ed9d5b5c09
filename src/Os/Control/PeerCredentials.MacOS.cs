using System.Buffers.Binary;
using System.Net.Sockets;

namespace Overlay.Os.Control;

internal static partial class PeerCredentials
{
    // <sys/un.h> on macOS: SOL_LOCAL 0, LOCAL_PEERCRED 0x001 returns struct xucred
    // { u_int cr_version; uid_t cr_uid; short cr_ngroups; gid_t cr_groups[NGROUPS=16]; }
    // = 4 + 4 + 2 (+2 padding) + 64 = 76 bytes; cr_version must be XUCRED_VERSION (0). See unix(4).
    private const int SOL_LOCAL = 0;
    private const int LOCAL_PEERCRED = 1;
    private const uint XUCRED_VERSION = 0;
    internal const int XucredSize = 76;

    private static partial bool TryGetPeerUidCore(Socket socket, out uint uid, out string? error)
    {
        Span<byte> xucred = stackalloc byte[XucredSize];
        int length = socket.GetRawSocketOption(SOL_LOCAL, LOCAL_PEERCRED, xucred);
        uid = 0;
        if (length < 8)
        {
            error = $"cannot read peer credentials: LOCAL_PEERCRED returned {length} bytes";
            return false;
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(xucred);
        if (version != XUCRED_VERSION)
        {
            error = $"cannot read peer credentials: xucred version {version}, expected {XUCRED_VERSION}";
            return false;
        }
        // Every macOS target (x86_64, arm64) is little-endian.
        uid = BinaryPrimitives.ReadUInt32LittleEndian(xucred[4..]);
        error = null;
        return true;
    }
}
