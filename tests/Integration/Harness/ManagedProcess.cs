using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Overlay.Integration.Tests.Harness;

/// <summary>What to start: a program, its arguments, and optionally a network namespace and environment.</summary>
public sealed record ProcessSpec(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>When set, the program runs as <c>ip netns exec &lt;Netns&gt; ...</c>; ip execs it, so the PID is the program's.</summary>
    public string? Netns { get; init; }

    /// <summary>Extra environment variables (they survive <c>ip netns exec</c>).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Short label used in diagnostics; defaults to the program's file name.</summary>
    public string? DisplayName { get; init; }
}

/// <summary>One captured output line, in arrival order across both streams.</summary>
public readonly record struct OutputLine(int Index, bool IsStderr, string Text)
{
    public override string ToString() => (IsStderr ? "err| " : "out| ") + Text;
}

/// <summary>
/// A long-running child process owned by a test: output captured line by line into a
/// thread-safe buffer, bounded waits for a line or for exit, signals sent with kill(2) to
/// the exact PID this object started, and TERM-then-KILL on stop. Dispose always ends it.
/// Every instance is also registered with <see cref="HarnessRun"/> so a crashed test run
/// still ends it (by PID) at process exit.
/// </summary>
public sealed class ManagedProcess : IDisposable
{
    /// <summary>Grace period between SIGTERM and SIGKILL used by <see cref="Dispose"/>.</summary>
    public static readonly TimeSpan DisposeGrace = TimeSpan.FromSeconds(3);

    private const int TailLines = 40;
    private static readonly TimeSpan PollSlice = TimeSpan.FromMilliseconds(100);

    private readonly Process _process;
    private readonly List<OutputLine> _lines = new();
    private readonly object _gate = new();
    private TaskCompletionSource _changed = NewPulse();
    private int _openStreams = 2;
    private int _disposed;
    private volatile bool _released;
    private int? _finalExitCode;

    private ManagedProcess(ProcessSpec spec, Process process)
    {
        Spec = spec;
        _process = process;
        Name = spec.DisplayName ?? Path.GetFileName(spec.FileName);
    }

    public ProcessSpec Spec { get; }

    public string Name { get; }

    public string? Netns => Spec.Netns;

    /// <summary>PID of the started program (for namespaced runs, ip exec'd into it, so the same PID).</summary>
    public int Pid { get; private set; }

    /// <summary>True once the process has ended (stays answerable after <see cref="Dispose"/>).</summary>
    public bool HasExited => _released ? _finalExitCode is not null : _process.HasExited;

    /// <summary>Exit code once exited (a death by signal n reads as 128+n, .NET's convention), else null.</summary>
    public int? ExitCode => _released ? _finalExitCode : _process.HasExited ? _process.ExitCode : null;

    /// <summary>Number of lines captured so far; pass it as <c>fromLine</c> to wait only for newer lines.</summary>
    public int LineCount
    {
        get
        {
            lock (_gate)
            {
                return _lines.Count;
            }
        }
    }

    /// <summary>Snapshot of all captured lines (both streams, arrival order).</summary>
    public IReadOnlyList<OutputLine> Lines
    {
        get
        {
            lock (_gate)
            {
                return _lines.ToArray();
            }
        }
    }

    /// <summary>All captured output as text, stderr lines prefixed, for assertion messages.</summary>
    public string Output => string.Join('\n', Lines.Select(l => l.ToString()));

    public static ManagedProcess Start(string fileName, params string[] args) =>
        Start(new ProcessSpec(fileName, args));

    public static ManagedProcess StartInNs(string ns, string fileName, params string[] args) =>
        Start(new ProcessSpec(fileName, args) { Netns = ns });

    public static ManagedProcess Start(ProcessSpec spec)
    {
        string program = Tools.Find(spec.FileName) ?? spec.FileName;
        ProcessStartInfo psi;
        if (spec.Netns is not null)
        {
            psi = new ProcessStartInfo(Tools.Require("ip"));
            psi.ArgumentList.Add("netns");
            psi.ArgumentList.Add("exec");
            psi.ArgumentList.Add(spec.Netns);
            psi.ArgumentList.Add(program);
        }
        else
        {
            psi = new ProcessStartInfo(program);
        }

        foreach (string arg in spec.Arguments)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.UseShellExecute = false;
        psi.RedirectStandardInput = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.StandardOutputEncoding = Encoding.UTF8;
        psi.StandardErrorEncoding = Encoding.UTF8;
        if (spec.WorkingDirectory is not null)
        {
            psi.WorkingDirectory = spec.WorkingDirectory;
        }

        if (spec.Environment is not null)
        {
            foreach ((string key, string value) in spec.Environment)
            {
                psi.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var managed = new ManagedProcess(spec, process);
        process.OutputDataReceived += (_, e) => managed.OnData(e.Data, isStderr: false);
        process.ErrorDataReceived += (_, e) => managed.OnData(e.Data, isStderr: true);
        process.Exited += (_, _) => managed.Pulse();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new HarnessException($"cannot start {managed.Describe()}: {e.Message}", e);
        }

        managed.Pid = process.Id;
        HarnessRun.Register(managed);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Daemons under test must not block on a terminal; closing stdin gives them EOF.
        process.StandardInput.Close();
        return managed;
    }

    /// <summary>
    /// Waits until a captured line (index &gt;= <paramref name="fromLine"/>) matches <paramref name="pattern"/>
    /// and returns it. Throws <see cref="HarnessException"/> with the output tail on timeout, or as soon as
    /// the process has exited and its output is drained without a match.
    /// </summary>
    public async Task<string> WaitForLineAsync(Regex pattern, TimeSpan timeout, int fromLine = 0)
    {
        var deadline = Stopwatch.StartNew();
        int scanned = fromLine;
        while (true)
        {
            Task pulse;
            bool drained;
            lock (_gate)
            {
                for (; scanned < _lines.Count; scanned++)
                {
                    if (pattern.IsMatch(_lines[scanned].Text))
                    {
                        return _lines[scanned].Text;
                    }
                }

                pulse = _changed.Task;
                drained = _openStreams == 0;
            }

            if ((drained || _released) && HasExited)
            {
                throw new HarnessException(
                    $"{Describe()} exited with code {ExitCode} before printing a line matching /{pattern}/\n{Tail()}");
            }

            TimeSpan left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new HarnessException(
                    $"{Describe()}: no line matching /{pattern}/ within {timeout.TotalSeconds:0.#} s\n{Tail()}");
            }

            await Task.WhenAny(pulse, Task.Delay(left < PollSlice ? left : PollSlice)).ConfigureAwait(false);
        }
    }

    public Task<string> WaitForLineAsync(string pattern, TimeSpan timeout, int fromLine = 0) =>
        WaitForLineAsync(new Regex(pattern, RegexOptions.CultureInvariant), timeout, fromLine);

    /// <summary>Blocking form of <see cref="WaitForLineAsync(Regex, TimeSpan, int)"/>.</summary>
    public string WaitForLine(string pattern, TimeSpan timeout, int fromLine = 0) =>
        WaitForLineAsync(pattern, timeout, fromLine).GetAwaiter().GetResult();

    /// <summary>Waits for the process to exit; returns its exit code or throws on timeout (the process keeps running).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        if (!await TryWaitForExitAsync(timeout).ConfigureAwait(false))
        {
            throw new HarnessException($"{Describe()} still running after {timeout.TotalSeconds:0.#} s\n{Tail()}");
        }

        return ExitCode ?? -1;
    }

    /// <summary>Sends <paramref name="signal"/> (see <see cref="NativeMethods"/> constants) to this PID only. No-op once exited.</summary>
    public void Signal(int signal)
    {
        if (HasExited || _released)
        {
            return;
        }

        try
        {
            NativeMethods.Kill(Pid, signal);
        }
        catch (InvalidOperationException) when (HasExited)
        {
            // Exited between the check and the kill (ESRCH); nothing to signal.
        }
    }

    public void Terminate() => Signal(NativeMethods.SIGTERM);

    public void Hangup() => Signal(NativeMethods.SIGHUP);

    public void Interrupt() => Signal(NativeMethods.SIGINT);

    /// <summary>
    /// Ends the process: SIGTERM (or <paramref name="signal"/>), wait up to <paramref name="grace"/>
    /// (default 5 s), then SIGKILL. Returns the exit code. Safe to call more than once.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan? grace = null, int signal = NativeMethods.SIGTERM)
    {
        if (_released)
        {
            return _finalExitCode ?? -1;
        }

        if (!_process.HasExited)
        {
            Signal(signal);
            if (!await TryWaitForExitAsync(grace ?? TimeSpan.FromSeconds(5)).ConfigureAwait(false))
            {
                Kill();
                await TryWaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
        }

        // Let the last lines the process wrote reach the buffer (bounded).
        await WaitForDrainAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        return _process.HasExited ? _process.ExitCode : -1;
    }

    /// <summary>SIGKILL to this PID only.</summary>
    public void Kill()
    {
        if (_released)
        {
            return;
        }

        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    /// <summary>Stops the process (TERM, <see cref="DisposeGrace"/>, KILL) and releases it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            StopAsync(DisposeGrace).GetAwaiter().GetResult();
        }
        finally
        {
            HarnessRun.Unregister(this);
            _finalExitCode = _process.HasExited ? _process.ExitCode : null;
            _released = true;
            _process.Dispose();
        }
    }

    /// <summary>Last lines of output, for failure messages.</summary>
    public string Tail(int count = TailLines)
    {
        OutputLine[] lines = Lines.TakeLast(count).ToArray();
        return lines.Length == 0 ? "(no output)" : "output tail:\n" + string.Join('\n', lines);
    }

    public override string ToString() => Describe();

    private string Describe() =>
        Netns is null ? $"{Name} (pid {Pid})" : $"{Name} (pid {Pid}, netns {Netns})";

    private async Task<bool> TryWaitForExitAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!HasExited)
        {
            if (_released)
            {
                return false;
            }

            TimeSpan left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            Task pulse;
            lock (_gate)
            {
                pulse = _changed.Task;
            }

            await Task.WhenAny(pulse, Task.Delay(left < PollSlice ? left : PollSlice)).ConfigureAwait(false);
        }

        return true;
    }

    private async Task WaitForDrainAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            lock (_gate)
            {
                if (_openStreams == 0)
                {
                    return;
                }
            }

            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    private void OnData(string? data, bool isStderr)
    {
        lock (_gate)
        {
            if (data is null)
            {
                _openStreams--;
            }
            else
            {
                _lines.Add(new OutputLine(_lines.Count, isStderr, data));
            }
        }

        Pulse();
    }

    private void Pulse()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = NewPulse();
        }

        previous.TrySetResult();
    }

    private static TaskCompletionSource NewPulse() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
