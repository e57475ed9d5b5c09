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

    /// <summary>
    /// Control bytes per message: on send a UDP_SEGMENT size (CMSG_SPACE(u16) = 24) then a source
    /// (CMSG_SPACE(in6_pktinfo) = 40); on receive a UDP_GRO size (24) and the destination (40).
    /// </summary>
    internal const int ControlStride = Libc.CmsgSpaceU16 + Libc.CmsgSpaceIn6PktInfo;

    /// <summary>The control slot of message i (<see cref="ControlStride"/> bytes).</summary>
    internal byte* Control(int i) => _control + (nint)i * ControlStride;

    private partial void AllocateHeaders()
    {
        _messages = (Libc.MMsgHdr*)NativeMemory.AllocZeroed((nuint)Capacity, (nuint)sizeof(Libc.MMsgHdr));
        _control = (byte*)NativeMemory.AllocZeroed((nuint)Capacity, ControlStride);
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
