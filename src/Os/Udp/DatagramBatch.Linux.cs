using System.Runtime.InteropServices;
using Overlay.Os.Interop;

namespace Overlay.Os.Udp;

/// <summary>Linux: one mmsghdr per frame for recvmmsg(2)/sendmmsg(2), wired to its iovec and sockaddr slot.</summary>
public sealed unsafe partial class DatagramBatch
{
    private Libc.MMsgHdr* _messages;

    internal Libc.MMsgHdr* Messages => _messages;

    private partial void AllocateHeaders()
    {
        _messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)Capacity, (nuint)sizeof(Libc.MMsgHdr));
        for (int i = 0; i < Capacity; i++)
        {
            _messages[i].Header.Name = Name(i);
            _messages[i].Header.Iov = _iov + i;
            _messages[i].Header.IovLength = 1;
        }
    }

    private partial void FreeHeaders()
    {
        NativeMemory.Free(_messages);
        _messages = null;
    }
}
