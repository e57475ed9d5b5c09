namespace Overlay.Os.Node;

public static partial class PolicyStateFile
{
    /// <summary>FHS 3.0 §5.8, variable state information.</summary>
    public const string DefaultDirectory = "/var/lib/subnetra";
}
