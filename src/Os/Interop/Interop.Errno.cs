using System.Runtime.InteropServices;

namespace Overlay.Os.Interop;

/// <summary>
/// An errno value as a type: the number (which differs per OS: EAGAIN is 11 on Linux and
/// 35 on macOS), its symbolic name and its strerror(3) text. Use it in messages and
/// comparisons; the packet path compares raw negated ints from the Libc wrappers instead.
/// </summary>
public readonly struct Errno : IEquatable<Errno>
{
    public Errno(int value) => Value = value;

    public int Value { get; }

    public static Errno EPERM => new(Libc.EPERM);
    public static Errno ENOENT => new(Libc.ENOENT);
    public static Errno EINTR => new(Libc.EINTR);
    public static Errno EBADF => new(Libc.EBADF);
    public static Errno EAGAIN => new(Libc.EAGAIN);
    public static Errno EACCES => new(Libc.EACCES);
    public static Errno EBUSY => new(Libc.EBUSY);
    public static Errno EINVAL => new(Libc.EINVAL);
    public static Errno ENOBUFS => new(Libc.ENOBUFS);
    public static Errno EADDRINUSE => new(Libc.EADDRINUSE);
    public static Errno ECONNREFUSED => new(Libc.ECONNREFUSED);

    /// <summary>The symbolic name (EPERM), or "errno N" for values this table does not know.</summary>
    public string Name => Value switch
    {
        Libc.EPERM => "EPERM",
        Libc.ENOENT => "ENOENT",
        Libc.EINTR => "EINTR",
        Libc.EIO => "EIO",
        Libc.ENXIO => "ENXIO",
        Libc.EBADF => "EBADF",
        Libc.EAGAIN => "EAGAIN",
        Libc.ENOMEM => "ENOMEM",
        Libc.EACCES => "EACCES",
        Libc.EFAULT => "EFAULT",
        Libc.EBUSY => "EBUSY",
        Libc.EEXIST => "EEXIST",
        Libc.ENODEV => "ENODEV",
        Libc.EINVAL => "EINVAL",
        Libc.ENOTSOCK => "ENOTSOCK",
        Libc.EDESTADDRREQ => "EDESTADDRREQ",
        Libc.EMSGSIZE => "EMSGSIZE",
        Libc.EPROTONOSUPPORT => "EPROTONOSUPPORT",
        Libc.EAFNOSUPPORT => "EAFNOSUPPORT",
        Libc.EADDRINUSE => "EADDRINUSE",
        Libc.EADDRNOTAVAIL => "EADDRNOTAVAIL",
        Libc.ENETUNREACH => "ENETUNREACH",
        Libc.ENOBUFS => "ENOBUFS",
        Libc.ECONNREFUSED => "ECONNREFUSED",
        Libc.EHOSTUNREACH => "EHOSTUNREACH",
        _ => "errno " + Value,
    };

    /// <summary>strerror(3) text from the C library, e.g. "Operation not permitted".</summary>
    public string Message => Marshal.GetPInvokeErrorMessage(Value);

    public bool Equals(Errno other) => Value == other.Value;
    public override bool Equals(object? obj) => obj is Errno e && Equals(e);
    public override int GetHashCode() => Value;
    public static bool operator ==(Errno a, Errno b) => a.Value == b.Value;
    public static bool operator !=(Errno a, Errno b) => a.Value != b.Value;

    /// <summary>"EPERM (Operation not permitted)".</summary>
    public override string ToString() => $"{Name} ({Message})";
}

/// <summary>
/// A system call failed while setting up a device or socket. The message names the call,
/// the errno with its text, and what to do, e.g.
/// <c>ioctl(TUNSETIFF): EPERM (Operation not permitted). Run as root or grant CAP_NET_ADMIN.</c>
/// </summary>
public sealed class SystemCallException : IOException
{
    public SystemCallException(string call, Errno errno, string? advice = null)
        : base(Format(call, errno, advice), errno.Value)
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>The failing call as written in the message, e.g. "ioctl(TUNSETIFF)".</summary>
    public string Call { get; }

    public Errno Errno { get; }

    private static string Format(string call, Errno errno, string? advice) =>
        advice is null ? $"{call}: {errno}." : $"{call}: {errno}. {advice}";
}
