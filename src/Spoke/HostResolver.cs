using System.Net;

namespace Overlay.Spoke;

/// <summary>
/// Resolves the hub's host name. The seam between the spoke's re-resolution policy and the
/// system resolver: <see cref="SystemHostResolver"/> asks the OS, tests answer from a table.
/// Called on a worker thread, never on the packet loop.
/// </summary>
public interface IHostResolver
{
    /// <summary>The addresses of <paramref name="host"/>; throws <see cref="System.Net.Sockets.SocketException"/> when it does not resolve.</summary>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct);
}

/// <summary>The system resolver (getaddrinfo(3) through <see cref="Dns"/>: /etc/hosts, then DNS as nsswitch.conf says).</summary>
public sealed class SystemHostResolver : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);
}
