namespace Overlay.Protocol.Config;

/// <summary>
/// One config problem: the file, the key path in JSON form (<c>peers[1].psk</c>; empty for
/// file-level problems such as a syntax error) and what is wrong.
/// </summary>
public sealed record ConfigError(string File, string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? $"{File}: {Message}" : $"{File}: {Path}: {Message}";
}

/// <summary>The outcome of loading a config: the model when there were no errors, every error found, and warnings.</summary>
public sealed class ConfigLoadResult
{
    public ConfigLoadResult(OverlayConfig? config, IReadOnlyList<ConfigError> errors, IReadOnlyList<string> warnings)
    {
        Config = errors.Count == 0 ? config : null;
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>Non-null exactly when <see cref="Errors"/> is empty.</summary>
    public OverlayConfig? Config { get; }
    public IReadOnlyList<ConfigError> Errors { get; }
    /// <summary>Formatted "file: path: message" lines for accepted-but-questionable settings.</summary>
    public IReadOnlyList<string> Warnings { get; }
    public bool Success => Config is not null;
}

/// <summary>Where the config path came from (for messages).</summary>
public enum ConfigPathSource { CommandLine, Environment, WorkingDirectory, SystemDefault }

/// <summary>A resolved config path and the rule that chose it.</summary>
public sealed record ConfigPathResolution(string Path, ConfigPathSource Source)
{
    public string Describe() => Source switch
    {
        ConfigPathSource.CommandLine => "--config",
        ConfigPathSource.Environment => "SUBNETRA_CONFIG",
        ConfigPathSource.WorkingDirectory => "default ./config.json",
        _ => "default /etc/subnetra/config.json (./config.json does not exist)",
    };
}
