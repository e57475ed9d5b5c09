namespace Overlay.Cli.Tests.Onboarding;

/// <summary><c>subnetra check FILE...</c>: each cross-file rule fails naming both files and the key paths.</summary>
public sealed class SetCheckTests : TempDirectoryTest
{
    private const string PskA = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string PskB = "2222222222222222222222222222222222222222222222222222222222222222";

    private string WriteHub(string peers = $$"""
        { "id": 2, "allowed_src": "198.19.0.2/32", "psk": "{{PskA}}" },
        { "id": 3, "allowed_src": ["198.19.0.3/32", "192.168.3.0/24"], "psk": "{{PskB}}" }
        """)
    {
        string path = P("hub.json");
        File.WriteAllText(path, $$"""
            { "role": "hub", "virtual_subnet": "198.19.0.0/24", "local_id": 1, "local_tun_ip": "198.19.0.1/24",
              "listen_port": 51820, "peers": [ {{peers}} ] }
            """);
        return path;
    }

    private string WriteSpoke(string name, int id, string ip, string psk, string endpoint = "198.18.1.1:51820", int hubId = 1, string extra = "")
    {
        string path = P(name);
        File.WriteAllText(path, $$"""
            { "role": "spoke", "virtual_subnet": "198.19.0.0/24", "local_id": {{id}}, "local_tun_ip": "{{ip}}/24", {{extra}}
              "peers": [ { "id": {{hubId}}, "endpoint": "{{endpoint}}", "psk": "{{psk}}" } ] }
            """);
        return path;
    }

    [Fact]
    public void Check_MatchingSet_OneSummaryLine()
    {
        string hub = WriteHub();
        var r = Harness.Cli("", "check", hub, WriteSpoke("a.json", 2, "198.19.0.2", PskA),
            WriteSpoke("b.json", 3, "198.19.0.3", PskB, extra: "\"local_routes\": [\"198.19.0.3/32\", \"192.168.3.0/24\"],"));
        Assert.True(r.Exit == 0, r.Err);
        Assert.Equal("check OK: 3 file(s), 1 hub(s), 2 spoke(s): every link matches at both ends\n", r.Out);
    }

    [Theory]
    [InlineData(2, "198.19.0.9", PskA, "198.18.1.1:51820", 1, "", "a.json: local_tun_ip: 198.19.0.9/32 is outside {hub}: peers[0].allowed_src (198.19.0.2/32)")]
    [InlineData(7, "198.19.0.7", PskA, "198.18.1.1:51820", 1, "", "a.json: local_id: 7 has no entry in {hub}: peers[].id (ids there: 2, 3)")]
    [InlineData(2, "198.19.0.2", PskA, "198.18.1.1:4000", 1, "", "a.json: peers[0].endpoint: port 4000 is not a port {hub} listens on (51820)")]
    [InlineData(2, "198.19.0.2", PskA, "198.18.1.1:51820", 9, "", "a.json: peers[0].id: 9 is not the local_id of any hub given ({hub}: local_id = 1)")]
    [InlineData(2, "198.19.0.2", PskB, "198.18.1.1:51820", 1, "", "a.json: peers[0].psk: does not match {hub}: peers[0].psk")]
    [InlineData(2, "198.19.0.2", PskA, "198.18.1.1:51820", 1, "\"local_routes\": [\"198.19.0.2/32\", \"10.9.0.0/24\"],", "a.json: local_routes[1]: 10.9.0.0/24 is outside {hub}: peers[0].allowed_src")]
    public void Check_Mismatch_ExitsTwoNamingBothFilesAndKeys(int id, string ip, string psk, string endpoint, int hubId, string extra, string expected)
    {
        string hub = WriteHub();
        string spoke = WriteSpoke("a.json", id, ip, psk, endpoint, hubId, extra);
        var r = Harness.Cli("", "check", hub, spoke);
        Assert.Equal(2, r.Exit);
        Assert.Equal("", r.Out);
        Assert.Contains(Path.Combine(Dir, expected.Replace("{hub}", hub)), r.Err);
        Assert.Contains("check failed: 0 of 2 file(s) invalid, 1 problem(s) across files", r.Err);
    }

    [Fact]
    public void Check_TwoSpokesSameIdAndAddress_BothReported()
    {
        string hub = WriteHub();
        string a = WriteSpoke("a.json", 2, "198.19.0.2", PskA);
        string b = WriteSpoke("b.json", 2, "198.19.0.2", PskA);
        var r = Harness.Cli("", "check", hub, a, b);
        Assert.Equal(2, r.Exit);
        Assert.Contains($"{b}: local_id: 2 is also the local_id of {a}", r.Err);
        Assert.Contains($"{b}: local_tun_ip: 198.19.0.2 is also the local_tun_ip of {a}", r.Err);
    }

    [Fact]
    public void Check_InvalidFile_ReportedAsByCheckAndExitTwo()
    {
        string bad = Path.Combine(Harness.BadConfigs, "03-duplicate-psk.json");
        var r = Harness.Cli("", "check", WriteHub(), bad);
        Assert.Equal(2, r.Exit);
        Assert.Contains($"{bad}: peers[1].psk: duplicate of peers[0].psk", r.Err);
        Assert.Contains("check failed: 1 of 2 file(s) invalid", r.Err);
    }

    [Fact]
    public void Check_NoFiles_UsageError() => Assert.Equal(2, Harness.Cli("", "check").Exit);
}
