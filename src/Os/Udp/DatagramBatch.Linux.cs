using System.Runtime.InteropServices;
using Overlay.Os.Interop;

namespace Overlay.Os.Udp;

/// <summary>Linux: one mmsghdr per frame for recvmmsg(2)/sendmmsg(2), wired to its iovec and sockaddr slot.</summary>
public sealed unsafe partial class DatagramBatch
{
    private Libc.MMsgHdr* _messages;
    private byte* _control;
    private int[] _messageFirstEntry = [];

    /// <summary>For a coalesced send: the first entry of message m (and Count after the last message).</summary>
    internal int[] MessageFirstEntry => _messageFirstEntry;

    internal Libc.MMsgHdr* Messages => _messages;

    /// <summary>One CMSG_SPACE(u16) slot per message for the UDP_SEGMENT size of a coalesced send.</summary>
    internal byte* Control(int i) => _control + (nint)i * Libc.CmsgSpaceU16;

    private partial void AllocateHeaders()
    {
        _messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)Capacity, (nuint)sizeof(Libc.MMsgHdr));
        _control = (byte*)NativeMemory.AllocZeroed((nuint)Capacity, Libc.CmsgSpaceU16);
        _messageFirstEntry = new int[Capacity + 1];
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
        NativeMemory.Free(_control);
        _messages = null;
        _control = null;
    }
}
