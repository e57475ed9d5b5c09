using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Tests.Crypto;

public class SodiumUnavailableExceptionTests
{
    [Fact]
    public void BuildNotFoundMessage_LinuxNames_SaysNotFoundListsNamesAndFix()
    {
        string[] names = Interop.Sodium.CandidateNamesFor(macOS: false);
        string message = SodiumUnavailableException.BuildNotFoundMessage(names);

        Assert.Equal(
            "libsodium was not found (tried: libsodium.so.23, libsodium.so.26, libsodium.so); " +
            "install it: apt-get install libsodium23 (Debian/Ubuntu) or brew install libsodium (macOS).",
            message);
    }

    [Fact]
    public void CandidateNamesFor_MacOS_IncludesHomebrewPaths()
    {
        Assert.Equal(
            ["libsodium.dylib", "/opt/homebrew/lib/libsodium.dylib", "/usr/local/lib/libsodium.dylib"],
            Interop.Sodium.CandidateNamesFor(macOS: true));
    }

    [Fact]
    public void Constructor_TriedNames_MessageNamesEachOne()
    {
        var ex = new SodiumUnavailableException(["a.so", "b.so"]);
        Assert.Contains("tried: a.so, b.so", ex.Message);
        Assert.Contains("apt-get install libsodium23", ex.Message);
    }
}
