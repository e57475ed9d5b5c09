namespace Overlay.Integration.Tests.Harness;

/// <summary>Outcome of one bounded command run by <see cref="Cmd"/> or <see cref="Netns.Exec(string, string[])"/>.</summary>
public sealed record ExecResult(IReadOnlyList<string> Argv, int ExitCode, string Stdout, string Stderr, bool TimedOut)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    /// <summary>Throws <see cref="HarnessException"/> naming the command, exit code and stderr unless it succeeded.</summary>
    public ExecResult EnsureSuccess()
    {
        if (!Succeeded)
        {
            throw new HarnessException(Describe());
        }

        return this;
    }

    public string Describe()
    {
        string status = TimedOut ? "timed out" : $"exit {ExitCode}";
        return $"`{string.Join(' ', Argv)}` {status}\nstdout: {Stdout.Trim()}\nstderr: {Stderr.Trim()}";
    }

    public override string ToString() => Describe();
}

/// <summary>A harness operation failed (a command, a wait, a parse); the message carries the evidence.</summary>
public sealed class HarnessException : Exception
{
    public HarnessException(string message)
        : base(message)
    {
    }

    public HarnessException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
