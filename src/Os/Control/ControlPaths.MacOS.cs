namespace Overlay.Os.Control;

public static partial class ControlPaths
{
    /// <summary>macOS default: /var/run holds daemon runtime files (hier(7)).</summary>
    public const string Default = "/var/run/subnetra.sock";
}
