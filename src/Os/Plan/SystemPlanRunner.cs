using System.Diagnostics;
using System.ComponentModel;

namespace Overlay.Os.Plan;

/// <summary>
/// Runs plan commands on this host: the tool from <see cref="PlanTools"/> (absolute path), the
/// arguments as an argument vector (no shell, so nothing in a config is ever interpreted), and
/// a time limit after which the command is killed and the step fails.
/// </summary>
public sealed class SystemPlanRunner(TimeSpan? timeout = null) : IPlanRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly TimeSpan _timeout = timeout ?? DefaultTimeout;

    public PlanRunResult Run(IReadOnlyList<string> argv)
    {
        string? path = PlanTools.Resolve(argv[0], out string? missing);
        if (path is null) return new PlanRunResult(-1, missing!);
        var psi = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        for (int i = 1; i < argv.Count; i++) psi.ArgumentList.Add(argv[i]);
        // A predictable environment: the C locale keeps tool messages in English for the log.
        psi.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new Win32Exception("no process");
        }
        catch (Win32Exception e)
        {
            return new PlanRunResult(-1, $"cannot run {path}: {e.Message}");
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(_timeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit(1000);
                return new PlanRunResult(-1, $"{path} did not finish within {_timeout.TotalSeconds:0.#} s and was killed");
            }
            process.WaitForExit();
            string text = (stderr.Result + stdout.Result).Trim();
            return new PlanRunResult(process.ExitCode, text);
        }
    }
}
