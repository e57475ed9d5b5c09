using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// Owns one file descriptor and closes it exactly once (SafeHandle reference counting keeps
/// it open while a P/Invoke is using it). The event loop passes the raw int to poll/read/write
/// and the owner disposes only after the loop has stopped.
/// </summary>
internal sealed class SafeFd : SafeHandle
{
    public SafeFd() : base(new IntPtr(-1), ownsHandle: true) { }

    public SafeFd(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor, or -1 once closed.</summary>
    public int Fd => IsClosed ? -1 : (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Libc.Close((int)handle.ToInt64()) == 0;
}
