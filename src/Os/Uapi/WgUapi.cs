using Overlay.Os.Node;

namespace Overlay.Os.Uapi;

/// <summary>
/// The UAPI of a plain WireGuard node (subnetra-wg): <c>get=1</c> reads the <see cref="WgDevice"/>,
/// and <c>set=1</c> is parsed on the socket thread (<see cref="UapiSetParser"/>) and applied on the
/// loop thread between packets, posted through the wake pipe as control requests are.
/// </summary>
public sealed class WgUapi
{
    private static readonly TimeSpan LoopTimeout = TimeSpan.FromSeconds(10);
    private readonly NodeHost _host;
    private readonly WgDevice _device;
    private readonly Action<string> _log;
    private readonly SemaphoreSlim _setGate = new(1, 1);

    public WgUapi(NodeHost host, Action<string>? log = null)
    {
        _host = host;
        _device = host.WgDevice ?? throw new ArgumentException("the node was not opened with NodeHost.OpenPlain", nameof(host));
        _log = log ?? (_ => { });
    }

    /// <summary>Binds <c>/var/run/wireguard/&lt;tun&gt;.sock</c> (or <paramref name="socketPath"/>) and serves get and set.</summary>
    public UapiServer Start(string? socketPath = null) =>
        UapiServer.Start(socketPath ?? UapiPaths.SocketPath(_host.TunName), GetAsync, SetAsync, _log);

    public Task<UapiDevice> GetAsync(CancellationToken ct) => OnLoopAsync(_device.Snapshot, ct);

    /// <summary>Returns 0 or the positive errno; one set at a time, so the parse sees the key the previous set left.</summary>
    public async Task<int> SetAsync(ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        await _setGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            byte[] own = await OnLoopAsync(() => _device.PublicKey.ToArray(), ct).ConfigureAwait(false);
            if (!UapiSetParser.TryParse(body.Span, own, out UapiSetRequest request, out int errno, out string error))
            {
                _log($"set refused (errno {errno}): {error}");
                return errno;
            }
            using (request)
            {
                return await OnLoopAsync(() =>
                {
                    int e = _device.Apply(request, out string why);
                    if (e != 0) _log($"set failed (errno {e}): {why}");
                    return e;
                }, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _setGate.Release();
        }
    }

    /// <summary>
    /// Posts <paramref name="work"/> to the loop and waits (bounded). Work the caller gave up on
    /// before the loop reached it does not run later (as NodeControl.RunOnLoopAsync), so a set
    /// answered with EIO never applies afterwards; work already running is waited for.
    /// </summary>
    private async Task<T> OnLoopAsync<T>(Func<T> work, CancellationToken ct)
    {
        const int Pending = 0, Started = 1, Abandoned = 2;
        int state = Pending;
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _host.Post(() =>
        {
            if (Interlocked.CompareExchange(ref state, Started, Pending) != Pending) return;
            try { done.TrySetResult(work()); }
            catch (Exception e) { done.TrySetException(e); }
        });
        try
        {
            return await done.Task.WaitAsync(LoopTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            if (Interlocked.CompareExchange(ref state, Abandoned, Pending) != Pending) return await done.Task.ConfigureAwait(false);
            if (e is OperationCanceledException) throw;
            throw new TimeoutException($"the packet loop did not answer within {LoopTimeout.TotalSeconds:0} s; nothing was applied");
        }
    }
}
