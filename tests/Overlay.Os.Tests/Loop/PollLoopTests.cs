using System.Diagnostics;
using Overlay.Os.Interop;
using Overlay.Os.Loop;

namespace Overlay.Os.Tests.Loop;

public sealed unsafe class PollLoopTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private readonly PollLoop _loop = new();
    private readonly List<int> _fdsToClose = new();

    public void Dispose()
    {
        _loop.Dispose();
        foreach (int fd in _fdsToClose) Libc.Close(fd);
    }

    /// <summary>A driver with settable deadline and hooks; counts every callback.</summary>
    private sealed class TestDriver : ILoopDriver
    {
        public long Deadline = long.MaxValue;
        public int Turns, Timers, Begins;
        public readonly List<long> Nows = new();
        public Action? OnTimerAction;
        public Action? OnEndTurn;

        public long NextDeadlineTimestamp => Volatile.Read(ref Deadline);
        public void BeginTurn(long now)
        {
            Begins++;
            Nows.Add(now);
        }
        public void OnTimer() => (OnTimerAction ?? (() => Timers++))();
        public void EndTurn()
        {
            Turns++;
            OnEndTurn?.Invoke();
        }
    }

    private sealed class RecordingHandler(Action onReadable) : IPollHandler
    {
        public int Calls;
        public void OnReadable()
        {
            Calls++;
            onReadable();
        }
    }

    /// <summary>Runs the loop on its own thread; fails (after stopping it) if it does not end in time.</summary>
    private Thread Start(ILoopDriver driver, out Func<bool> joined)
    {
        var thread = new Thread(() => _loop.Run(driver)) { IsBackground = true, Name = "poll-loop-test" };
        thread.Start();
        joined = () =>
        {
            if (thread.Join(Bound)) return true;
            _loop.Stop();
            thread.Join(Bound);
            return false;
        };
        return thread;
    }

    private (int Read, int Write) Pipe()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.CreatePipe(fds));
        _fdsToClose.Add(fds[0]);
        _fdsToClose.Add(fds[1]);
        return (fds[0], fds[1]);
    }

    [Theory]
    [InlineData(100, 200, 1000, 0)]          // deadline passed
    [InlineData(200, 200, 1000, 0)]          // deadline now
    [InlineData(long.MaxValue, 0, 1000, 1000)] // nothing due: capped at 1 s
    [InlineData(5000, 0, 1000, 1000)]        // 5 s away: capped
    [InlineData(1500, 0, 1_000_000, 2)]      // 1.5 ms rounds up, never early
    [InlineData(250, 0, 1000, 250)]
    public void TimeoutMs_Deadline_ClampedAndRoundedUp(long deadline, long now, long frequency, int expected) =>
        Assert.Equal(expected, PollLoop.TimeoutMs(deadline, now, frequency));

    [Fact]
    public void Stop_FromAnotherThread_EndsRun()
    {
        var driver = new TestDriver();
        Start(driver, out var joined);
        Thread.Sleep(50);
        _loop.Stop();
        Assert.True(joined(), "Run did not return after Stop");
    }

    [Fact]
    public void Post_FromAnotherThread_RunsOnLoopThread()
    {
        var driver = new TestDriver();
        var thread = Start(driver, out var joined);
        int ranOn = -1;
        _loop.Post(() =>
        {
            ranOn = Environment.CurrentManagedThreadId;
            _loop.Stop();
        });
        Assert.True(joined(), "posted action did not run");
        Assert.Equal(thread.ManagedThreadId, ranOn);
    }

    [Fact]
    public void Wake_FromAnotherThread_EndsPollBeforeTimeout()
    {
        var driver = new TestDriver();
        Start(driver, out var joined);
        Thread.Sleep(100);
        int turnsBefore = Volatile.Read(ref driver.Turns);
        var sw = Stopwatch.StartNew();
        _loop.Wake();
        while (Volatile.Read(ref driver.Turns) == turnsBefore && sw.ElapsedMilliseconds < 900) Thread.Sleep(1);
        long elapsed = sw.ElapsedMilliseconds;
        _loop.Stop();
        Assert.True(joined());
        Assert.True(elapsed < 900, $"wake took {elapsed} ms; the 1 s poll cap, not the wake, ended the turn");
    }

    [Fact]
    public void Wake_ManyTimes_NeverBlocksAndLoopStillStops()
    {
        var driver = new TestDriver();
        for (int i = 0; i < 100_000; i++) _loop.Wake(); // fills the pipe: EAGAIN is ignored
        Start(driver, out var joined);
        _loop.Stop();
        Assert.True(joined());
    }

    [Fact]
    public void Run_DeadlineIn50Ms_CallsOnTimerWithinBounds()
    {
        var driver = new TestDriver();
        long start = TimeProvider.System.GetTimestamp();
        driver.Deadline = start + TimeProvider.System.TimestampFrequency / 20;
        TimeSpan firedAfter = TimeSpan.Zero;
        driver.OnTimerAction = () =>
        {
            firedAfter = TimeProvider.System.GetElapsedTime(start);
            driver.Deadline = long.MaxValue;
            _loop.Stop();
        };
        Start(driver, out var joined);
        Assert.True(joined(), "OnTimer never fired");
        Assert.InRange(firedAfter.TotalMilliseconds, 50, 500);
        Assert.True(driver.Turns <= 10, $"{driver.Turns} turns for one 50 ms wait: the loop spun");
    }

    /// <summary>Issue 10: the turn's now comes from the loop's injected clock (the engine's), read once after poll.</summary>
    [Fact]
    public void Run_InjectedClock_NowOfEachTurnFromItAndTimerDueAgainstIt()
    {
        var time = new Overlay.Tests.Fakes.ManualTimeProvider();
        time.Advance(TimeSpan.FromSeconds(100));
        long start = time.GetTimestamp();
        using var loop = new PollLoop(time);
        var driver = new TestDriver();
        // Due by the injected clock, whatever the system clock's timestamps are.
        driver.Deadline = start;
        driver.OnEndTurn = () =>
        {
            time.Advance(TimeSpan.FromSeconds(1));
            if (driver.Turns == 2) loop.Stop();
        };
        var thread = new Thread(() => loop.Run(driver)) { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(Bound));

        Assert.Equal([start, start + time.TimestampFrequency], driver.Nows);
        Assert.Equal(2, driver.Timers);
    }

    [Fact]
    public void Run_EachTurn_CallsBeginThenEnd()
    {
        var driver = new TestDriver();
        driver.OnEndTurn = () => { if (driver.Turns == 3) _loop.Stop(); };
        driver.Deadline = 0; // always due: every turn polls with timeout 0 and fires the timer
        driver.OnTimerAction = () => driver.Timers++;
        Start(driver, out var joined);
        Assert.True(joined());
        Assert.Equal(3, driver.Turns);
        Assert.Equal(3, driver.Begins);
        Assert.Equal(3, driver.Timers);
    }

    [Fact]
    public void Register_ReadablePipe_DispatchesHandlerOnLoopThread()
    {
        var (read, write) = Pipe();
        var received = new List<byte>();
        int handlerThread = -1;
        var handler = new RecordingHandler(() =>
        {
            handlerThread = Environment.CurrentManagedThreadId;
            byte* buffer = stackalloc byte[16];
            nint n;
            while ((n = Libc.Read(read, buffer, 16)) > 0)
                for (int i = 0; i < n; i++) received.Add(buffer[i]);
            if (received.Count >= 3) _loop.Stop();
        });
        _loop.Register(read, handler);
        var thread = Start(new TestDriver(), out var joined);

        byte* data = stackalloc byte[] { 1, 2, 3 };
        Assert.Equal(3, Libc.Write(write, data, 3));
        Assert.True(joined(), "handler never saw the bytes");
        Assert.Equal(new byte[] { 1, 2, 3 }, received);
        Assert.Equal(thread.ManagedThreadId, handlerThread);
    }

    [Fact]
    public void Unregister_InsideHandler_StopsFurtherDispatch()
    {
        var (read, write) = Pipe();
        RecordingHandler? handler = null;
        handler = new RecordingHandler(() => _loop.Unregister(read)); // leaves the byte unread
        _loop.Register(read, handler);
        var driver = new TestDriver();
        driver.OnEndTurn = () => { if (driver.Turns >= 5) _loop.Stop(); };
        driver.Deadline = 0;
        driver.OnTimerAction = () => { };

        byte one = 1;
        Assert.Equal(1, Libc.Write(write, &one, 1));
        Start(driver, out var joined);
        Assert.True(joined());
        Assert.Equal(1, handler.Calls);
        Assert.Equal(0, _loop.RegisteredCount);
    }

    [Fact]
    public void Register_SameFdTwice_Throws()
    {
        var (read, _) = Pipe();
        _loop.Register(read, new RecordingHandler(() => { }));
        Assert.Throws<InvalidOperationException>(() => _loop.Register(read, new RecordingHandler(() => { })));
    }

    [Fact]
    public void HangUp_WriterClosed_HandlerCalledCountedAndMutedWithoutSpinning()
    {
        var (read, write) = Pipe();
        var handler = new RecordingHandler(() => { });
        _loop.Register(read, handler);
        Libc.Close(write);
        _fdsToClose.Remove(write);

        var driver = new TestDriver();
        Start(driver, out var joined);
        Thread.Sleep(200);
        _loop.Stop();
        Assert.True(joined());

        Assert.True(handler.Calls >= 1, "handler was not told about POLLHUP");
        Assert.True(handler.Calls <= PollLoop.MaxConsecutiveErrorTurns, $"handler called {handler.Calls} times: the loop spun on POLLHUP");
        Assert.True(_loop.ErrorEventCount >= 1);
        Assert.Equal(1, _loop.MutedFdCount);
        Assert.True(driver.Turns < 20, $"{driver.Turns} turns in 200 ms");
        _loop.Unregister(read);
    }

    [Fact]
    public void Wake_AfterDispose_DoesNothing()
    {
        var loop = new PollLoop();
        loop.Dispose();
        loop.Wake();
        loop.Stop();
    }
}
