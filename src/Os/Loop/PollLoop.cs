using System.Collections.Concurrent;
using Overlay.Os.Interop;

namespace Overlay.Os.Loop;

/// <summary>
/// The daemon's single event loop (DESIGN §6): one thread, poll(2) over the registered fds
/// (tun, UDP, control socket) plus a self-pipe for wake-ups. Each turn:
///   timeout = next deadline - now, clamped to [0, 1000] ms (never infinite, so a lost
///   wake-up costs at most a second); poll; now = one clock read; driver.BeginTurn(now);
///   dispatch readable fds and the wake pipe (drain it, run posted actions);
///   driver.OnTimer() if the deadline is at or before now; driver.EndTurn().
/// Register/Unregister belong to the loop thread (or to setup before <see cref="Run"/>);
/// <see cref="Wake"/>, <see cref="Post"/> and <see cref="Stop"/> are safe from any thread.
/// The fds stay owned by their SafeHandles; the owner keeps them open until Run returns.
/// If poll itself fails (anything but EINTR) the process cannot make progress and fails
/// fast, as dotnet/runtime's socket event loop does.
/// </summary>
public sealed unsafe class PollLoop : IDisposable
{
    /// <summary>Upper bound of one poll wait.</summary>
    public const int MaxTimeoutMs = 1000;

    /// <summary>Consecutive turns of error-only events after which an fd is muted, so a handler that cannot clear the condition does not make the loop spin.</summary>
    public const int MaxConsecutiveErrorTurns = 8;

    private const short ErrorEvents = Libc.POLLERR | Libc.POLLHUP | Libc.POLLNVAL;

    private readonly SafeFd _wakeRead;
    private readonly SafeFd _wakeWrite;
    private readonly int _wakeReadFd;
    private readonly int _wakeWriteFd;
    private readonly ConcurrentQueue<Action> _posted = new();

    // Slot 0 is the wake pipe. Unregistered slots keep fd -1 (ignored by poll) until compaction.
    private Libc.PollFd[] _fds = new Libc.PollFd[8];
    private IPollHandler?[] _handlers = new IPollHandler?[8];
    private int[] _errorTurns = new int[8];
    private int _count;
    private bool _needsCompaction;
    private volatile bool _stopping;
    private int _loopThreadId;
    private long _errorEvents;
    private long _mutedFds;

    private readonly TimeProvider _time;
    private long _now;

    /// <param name="time">The clock the driver's deadlines are in (the engine's); <see cref="TimeProvider.System"/> when null.</param>
    public PollLoop(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _now = _time.GetTimestamp();
        int* fds = stackalloc int[2];
        int r = Libc.CreatePipe(fds);
        if (r < 0) throw new SystemCallException("pipe(wake)", new Errno(-r), "Out of file descriptors? Check ulimit -n.");
        _wakeRead = new SafeFd(fds[0]);
        _wakeWrite = new SafeFd(fds[1]);
        _wakeReadFd = fds[0];
        _wakeWriteFd = fds[1];
        _fds[0] = new Libc.PollFd { Fd = _wakeReadFd, Events = Libc.POLLIN };
        _count = 1;
    }

    /// <summary>POLLERR/POLLHUP/POLLNVAL reports seen on registered fds.</summary>
    public long ErrorEventCount => Volatile.Read(ref _errorEvents);

    /// <summary>Called on the loop thread when an fd is muted (fd, revents), so the owner can log it: a muted tun or UDP fd means a dead node.</summary>
    public Action<int, short>? FdMuted { get; set; }

    /// <summary>Registered fds the loop stopped polling because they kept reporting errors (or POLLNVAL).</summary>
    public long MutedFdCount => Volatile.Read(ref _mutedFds);

    /// <summary>Number of registered fds (the wake pipe not included).</summary>
    public int RegisteredCount
    {
        get
        {
            int n = 0;
            for (int i = 1; i < _count; i++) if (_handlers[i] is not null) n++;
            return n;
        }
    }

    /// <summary>Watches <paramref name="fd"/> for POLLIN. Loop thread only (or before Run).</summary>
    public void Register(int fd, IPollHandler handler)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        ArgumentNullException.ThrowIfNull(handler);
        CheckThread();
        if (IndexOf(fd) > 0) throw new InvalidOperationException($"fd {fd} is already registered");
        if (_count == _fds.Length)
        {
            int size = _fds.Length * 2;
            Array.Resize(ref _fds, size);
            Array.Resize(ref _handlers, size);
            Array.Resize(ref _errorTurns, size);
        }
        _fds[_count] = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
        _handlers[_count] = handler;
        _errorTurns[_count] = 0;
        _count++;
    }

    /// <summary>Stops watching <paramref name="fd"/>; safe from inside a handler. Loop thread only.</summary>
    public void Unregister(int fd)
    {
        CheckThread();
        int i = IndexOf(fd);
        if (i < 0) throw new InvalidOperationException($"fd {fd} is not registered");
        _fds[i].Fd = -1;
        _fds[i].REvents = 0;
        _handlers[i] = null;
        _needsCompaction = true;
    }

    /// <summary>
    /// Makes the current or next poll return. Any thread; allocation-free. EAGAIN (pipe full)
    /// is ignored: a full pipe already guarantees a wake-up. After Dispose it does nothing
    /// (the reference keeps a recycled fd number from receiving the byte).
    /// </summary>
    public void Wake()
    {
        bool added = false;
        try
        {
            _wakeWrite.DangerousAddRef(ref added);
            byte one = 1;
            Libc.Write(_wakeWriteFd, &one, 1);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added) _wakeWrite.DangerousRelease();
        }
    }

    /// <summary>Runs <paramref name="action"/> on the loop thread during its next turn. Any thread.</summary>
    public void Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _posted.Enqueue(action);
        Wake();
    }

    /// <summary>Makes <see cref="Run"/> return after the current turn. Any thread.</summary>
    public void Stop()
    {
        _stopping = true;
        Wake();
    }

    /// <summary>Runs turns on the calling thread until <see cref="Stop"/>. Handler exceptions propagate out.</summary>
    public void Run(ILoopDriver driver)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ObjectDisposedException.ThrowIf(_wakeRead.IsClosed, this);
        if (Interlocked.CompareExchange(ref _loopThreadId, Environment.CurrentManagedThreadId, 0) != 0)
            throw new InvalidOperationException("PollLoop.Run is already running");
        try
        {
            while (!_stopping)
            {
                Turn(driver);
            }
        }
        finally
        {
            _stopping = false;
            Volatile.Write(ref _loopThreadId, 0);
        }
    }

    public void Dispose()
    {
        if (Volatile.Read(ref _loopThreadId) != 0) throw new InvalidOperationException("Stop the loop before disposing it");
        _wakeRead.Dispose();
        _wakeWrite.Dispose();
    }

    private void Turn(ILoopDriver driver)
    {
        if (_needsCompaction) Compact();

        // The previous turn's clock read: the timeout is at most that turn's work too long, never short.
        int timeout = TimeoutMs(driver.NextDeadlineTimestamp, _now, _time.TimestampFrequency);
        int polled = _count;
        int ready;
        fixed (Libc.PollFd* p = _fds)
        {
            ready = Libc.Poll(p, polled, timeout);
        }
        if (ready < 0)
        {
            if (ready != -Libc.EINTR)
                Environment.FailFast($"poll(2) failed in the event loop: {new Errno(-ready)}");
            ready = 0;
        }

        // The turn's one clock read happens after poll returns: everything handled below sees
        // the time it arrived, not the time the wait began (up to MaxTimeoutMs earlier).
        long now = _time.GetTimestamp();
        _now = now;
        driver.BeginTurn(now);

        for (int i = 0; i < polled && ready > 0; i++)
        {
            short revents = _fds[i].REvents;
            if (revents == 0) continue;
            ready--;
            _fds[i].REvents = 0;
            if (i == 0)
            {
                DrainWakePipe();
                RunPosted();
                continue;
            }
            IPollHandler? handler = _handlers[i];
            if (handler is null) continue;
            if ((revents & ErrorEvents) != 0) NoteError(i, revents);
            else _errorTurns[i] = 0;
            handler.OnReadable();
        }

        if (driver.NextDeadlineTimestamp <= now) driver.OnTimer();
        driver.EndTurn();
    }

    /// <summary>
    /// Milliseconds until <paramref name="deadline"/>, rounded up (waking early would only
    /// spin with zero timeouts), clamped to [0, <see cref="MaxTimeoutMs"/>].
    /// </summary>
    internal static int TimeoutMs(long deadline, long now, long frequency)
    {
        if (deadline <= now) return 0;
        long ticks = deadline - now;
        long maxTicks = frequency * MaxTimeoutMs / 1000;
        if (ticks >= maxTicks) return MaxTimeoutMs;
        return (int)((ticks * 1000 + frequency - 1) / frequency);
    }

    private void NoteError(int i, short revents)
    {
        _errorEvents++;
        bool dead = (revents & Libc.POLLNVAL) != 0 || (revents & (Libc.POLLHUP | Libc.POLLIN)) == Libc.POLLHUP;
        bool noData = (revents & Libc.POLLIN) == 0;
        _errorTurns[i] = noData ? _errorTurns[i] + 1 : 0;
        if (dead || _errorTurns[i] >= MaxConsecutiveErrorTurns)
        {
            // poll(2) ignores negative fds; keep the fd recoverable for Unregister.
            _fds[i].Fd = -_fds[i].Fd - 1;
            _mutedFds++;
            FdMuted?.Invoke(-_fds[i].Fd - 1, revents);
        }
    }

    private void DrainWakePipe()
    {
        byte* buffer = stackalloc byte[64];
        while (Libc.Read(_wakeReadFd, buffer, 64) == 64) { }
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out Action? action)) action();
    }

    private void Compact()
    {
        int w = 1;
        for (int i = 1; i < _count; i++)
        {
            if (_handlers[i] is null) continue;
            _fds[w] = _fds[i];
            _handlers[w] = _handlers[i];
            _errorTurns[w] = _errorTurns[i];
            w++;
        }
        for (int i = w; i < _count; i++) _handlers[i] = null;
        _count = w;
        _needsCompaction = false;
    }

    /// <summary>Slot of a registered fd (muted fds are stored as -fd - 1), or -1.</summary>
    private int IndexOf(int fd)
    {
        for (int i = 1; i < _count; i++)
        {
            if (_handlers[i] is null) continue;
            int stored = _fds[i].Fd;
            if ((stored >= 0 ? stored : -stored - 1) == fd) return i;
        }
        return -1;
    }

    private void CheckThread()
    {
        int owner = Volatile.Read(ref _loopThreadId);
        if (owner != 0 && owner != Environment.CurrentManagedThreadId)
            throw new InvalidOperationException("Register/Unregister must run on the loop thread; use Post");
    }
}
