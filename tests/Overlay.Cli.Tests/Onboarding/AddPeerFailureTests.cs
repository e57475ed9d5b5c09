namespace Overlay.Cli.Tests.Onboarding;

/// <summary>
/// add-peer's failure paths: an export error is reported (not a NullReferenceException), a
/// .bak that cannot be written stops the hub rewrite, and a failed hub rewrite leaves a file
/// --force was about to replace as it was.
/// </summary>
public sealed class AddPeerFailureTests : TempDirectoryTest
{
    [Fact]
    public void WireGuardSpokeText_ExportFails_ReturnsItsErrorInsteadOfThrowing()
    {
        InitHub(Hub);
        var hub = OnboardingFlowTests.Load(Hub);
        Assert.False(AddPeerCommand.WireGuardSpokeText(hub, 999, "198.18.1.1:51820", out string text, out string error));
        Assert.Equal("", text);
        Assert.Contains("no peer with id 999", error);
        Assert.False(AddPeerCommand.WireGuardSpokeText(hub, 999, "no-port", out _, out _));
    }

    /// <summary>add-peer edits the bytes it checked (one read, not a second File.ReadAllText); a UTF-8 BOM is dropped as before.</summary>
    [Fact]
    public void AddPeer_HubWithUtf8Bom_PeerAddedAndFileStillLoads()
    {
        InitHub(Hub);
        File.WriteAllBytes(Hub, [0xEF, 0xBB, 0xBF, .. File.ReadAllBytes(Hub)]);
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "laptop", "--output", P("laptop.json"));
        Assert.True(r.Exit == 0, r.Err);
        var hub = OnboardingFlowTests.Load(Hub);
        Assert.Contains(hub.Peers, p => p.Name == "laptop");
        Assert.False(File.ReadAllBytes(Hub).AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]));
    }

    [Fact]
    public void AddPeer_BackupIsASymlink_HubNotRewrittenSpokeNotWrittenAndSaysSo()
    {
        InitHub(Hub);
        string commented = "// my hub\n" + File.ReadAllText(Hub);
        File.WriteAllText(Hub, commented);
        File.CreateSymbolicLink(Hub + ".bak", P("elsewhere"));
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "laptop", "--output", P("laptop.json"));
        Assert.Equal(1, r.Exit);
        Assert.Contains($"cannot save the commented hub config as {Hub}.bak", r.Err);
        Assert.Contains("nothing changed", r.Err);
        Assert.DoesNotContain("saved as", r.Out);
        Assert.Equal(commented, File.ReadAllText(Hub));
        Assert.False(File.Exists(P("elsewhere")));
        Assert.False(File.Exists(P("laptop.json")));
        Assert.Empty(Directory.GetFiles(Dir, ".*.tmp"));
    }

    [Fact]
    public void AddPeer_ForceAndHubRewriteFails_PreviousSpokeFileKept()
    {
        // A hub file name of 220 bytes: the rewrite's temp name beside it (".NAME.<32 hex>.tmp")
        // passes NAME_MAX, so the rewrite fails with ENAMETOOLONG even as root.
        string hub = P(new string('h', 215) + ".json");
        InitHub(hub);
        string before = File.ReadAllText(hub);
        File.WriteAllText(P("laptop.json"), "previous");
        var r = Harness.Cli("", "add-peer", "--config", hub, "--name", "laptop", "--output", P("laptop.json"), "--force");
        Assert.Equal(1, r.Exit);
        Assert.Contains($"cannot update {hub}", r.Err);
        Assert.Contains("the spoke file was not written and nothing changed", r.Err);
        Assert.Equal("previous", File.ReadAllText(P("laptop.json")));
        Assert.Equal(before, File.ReadAllText(hub));
        Assert.Empty(Directory.GetFiles(Dir, ".*.tmp"));
    }

    [Fact]
    public void AddPeer_Force_ReplacesPreviousSpokeFileWithMode0600()
    {
        InitHub(Hub);
        File.WriteAllText(P("laptop.json"), "previous");
        var r = Harness.Cli("", "add-peer", "--config", Hub, "--name", "laptop", "--output", P("laptop.json"), "--force");
        Assert.True(r.Exit == 0, r.Err);
        Assert.Equal(2, (int)OnboardingFlowTests.Load(P("laptop.json")).LocalId);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(P("laptop.json")));
        Assert.Empty(Directory.GetFiles(Dir, ".*.tmp"));
    }

    private string Hub => P("hub.json");

    private static void InitHub(string path) =>
        Assert.Equal(0, Harness.Cli("", "init", "--virtual-subnet", "198.19.0.0/24", "--endpoint", "198.18.1.1:51820", "--output", path).Exit);
}
