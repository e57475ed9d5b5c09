using System.Runtime.InteropServices;
using Overlay.Os.Interop;

namespace Overlay.Os.Udp;

/// <summary>macOS: one msghdr reused for each recvmsg(2) of the batch (Darwin has no public recvmmsg).</summary>
public sealed unsafe partial class DatagramBatch
{
    private Libc.MsgHdr* _message;

    internal Libc.MsgHdr* Message => _message;

    private partial void AllocateHeaders()
    {
        _message = (Libc.MsgHdr*)NativeMemory.AllocZeroed((nuint)sizeof(Libc.MsgHdr));
        _message->IovLength = 1;
    }

    private partial void FreeHeaders()
    {
        NativeMemory.Free(_message);
        _message = null;
    }
}
