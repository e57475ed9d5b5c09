using System.Diagnostics;

namespace Overlay.Integration.Tests.Harness;

/// <summary>
/// Runs a short command to completion with a hard time limit. On timeout the process the
/// harness started is killed by its PID (never by name) and the result says TimedOut.
/// </summary>
public static class Cmd
{
    /// <summary>Default limit for one command; generous because CI machines stall.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="argv"/> (argv[0] is resolved with <see cref="Tools.Find"/>).</summary>
    public static ExecResult Run(params string[] argv) => Run(argv, DefaultTimeout);

    /// <summary>
    /// Runs <paramref name="argv"/> with an optional stdin text and extra environment, waiting at most
    /// <paramref name="timeout"/>. Never throws for a non-zero exit; call <see cref="ExecResult.EnsureSuccess"/>.
    /// </summary>
    public static ExecResult Run(
        IReadOnlyList<string> argv,
        TimeSpan timeout,
        string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        if (argv.Count == 0)
        {
            throw new ArgumentException("empty argv", nameof(argv));
        }

        var psi = new ProcessStartInfo(Tools.Find(argv[0]) ?? argv[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        for (int i = 1; i < argv.Count; i++)
        {
            psi.ArgumentList.Add(argv[i]);
        }

        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                psi.Environment[key] = value;
            }
        }

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new HarnessException($"cannot start `{string.Join(' ', argv)}`: {e.Message}", e);
        }

        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                process.StandardInput.Write(stdin);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command exited without reading its input; its exit code tells the story.
        }

        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            try
            {
                process.Kill(entireProcessTree: false);
            }
            catch (InvalidOperationException)
            {
                // Exited between the wait and the kill.
            }

            process.WaitForExit(TimeSpan.FromSeconds(5));
        }

        // Bounded: a grandchild that inherited stdout could hold the pipe open forever.
        string output = stdout.Wait(TimeSpan.FromSeconds(5)) ? stdout.Result : string.Empty;
        string errors = stderr.Wait(TimeSpan.FromSeconds(5)) ? stderr.Result : string.Empty;
        int code = process.HasExited ? process.ExitCode : -1;
        return new ExecResult(argv.ToArray(), code, output, errors, TimedOut: !exited);
    }
}
