namespace Overlay.Os.Node;

public static partial class PolicyStateFile
{
    /// <summary>hier(7): /var/db holds system-specific database files.</summary>
    public const string DefaultDirectory = "/var/db/subnetra";
}
