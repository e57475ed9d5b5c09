namespace Overlay.Protocol.Crypto;

/// <summary>
/// libsodium could not be loaded or initialised. Thrown by the first X25519 or AEAD call, so
/// the daemon can report it at startup with the fix instead of a bare DllNotFoundException.
/// </summary>
public sealed class SodiumUnavailableException : Exception
{
    internal const string InstallHint =
        "install it: apt-get install libsodium23 (Debian/Ubuntu) or brew install libsodium (macOS)";

    public SodiumUnavailableException(IReadOnlyList<string> triedNames)
        : base(BuildNotFoundMessage(triedNames))
    {
    }

    public SodiumUnavailableException(string message)
        : base(message + " " + InstallHint)
    {
    }

    /// <summary>The text for "no candidate name loaded"; separate so tests can pin it.</summary>
    internal static string BuildNotFoundMessage(IReadOnlyList<string> triedNames) =>
        "libsodium was not found (tried: " + string.Join(", ", triedNames) + "); " + InstallHint + ".";
}
