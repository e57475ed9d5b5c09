using Overlay.Cli;
using Overlay.Daemon;

namespace Overlay.Cli.Tests;

/// <summary>Runs subnetrad / subnetra in-process and captures exit code and both streams.</summary>
internal static class Harness
{
    public sealed record Outcome(int Exit, string Out, string Err);

    public static string Examples => Path.Combine(AppContext.BaseDirectory, "examples");
    public static string BadConfigs => Path.Combine(AppContext.BaseDirectory, "BadConfigs");
    public static string Golden => Path.Combine(AppContext.BaseDirectory, "Golden");

    public static Outcome Daemon(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = DaemonCommand.Run(args, o, e);
        return new Outcome(rc, o.ToString(), e.ToString());
    }

    public static Outcome Cli(string stdin, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = CliCommand.Run(args, new StringReader(stdin), o, e);
        return new Outcome(rc, o.ToString(), e.ToString());
    }

    public static IEnumerable<object[]> ExampleFiles() =>
        Directory.GetFiles(Examples, "*.json").OrderBy(f => f, StringComparer.Ordinal).Select(f => new object[] { Path.GetFileName(f) });

    /// <summary>The source tree's copy of this project (for regenerating golden files).</summary>
    public static string SourceDirectory()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Overlay.Cli.Tests.csproj"))) return d.FullName;
        throw new DirectoryNotFoundException("Overlay.Cli.Tests.csproj not found above " + AppContext.BaseDirectory);
    }
}
