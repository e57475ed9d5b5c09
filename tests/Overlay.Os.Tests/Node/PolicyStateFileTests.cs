using System.Buffers;
using System.Text;
using Overlay.Os.Node;
using Overlay.Protocol.Control;
using Overlay.Protocol.Routing;

namespace Overlay.Os.Tests.Node;

/// <summary>The state file of <c>subnetra save</c>: atomic 0600 writes, a 0700 directory, loading and its errors.</summary>
public sealed class PolicyStateFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "state-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static PolicyRule Rule(string prefix, string action, int? peer = null)
    {
        Assert.True(PolicyRule.TryParse(prefix, action, peer, out PolicyRule rule, out string error), error);
        return rule;
    }

    [Fact]
    public async Task Save_ManyConcurrentCalls_AllSucceedAndFileParses()
    {
        string path = Path.Combine(_dir, "snr0.state.json");
        PolicyRule[][] sets = Enumerable.Range(0, 16)
            .Select(i => new[] { Rule($"198.19.{i}.0/24", "drop"), Rule("198.19.200.0/24", "local") }).ToArray();
        using var start = new ManualResetEventSlim();

        Task[] saves = sets.Select(rules => Task.Run(() => { start.Wait(); PolicyStateFile.Save(path, rules); })).ToArray();
        start.Set();
        await Task.WhenAll(saves);   // with one shared temp name, a rename found its file already moved away

        IReadOnlyList<PolicyRule> loaded = PolicyStateFile.Load(path, out var errors);
        Assert.Empty(errors);
        Assert.Contains(sets, rules => rules.SequenceEqual(loaded));   // exactly one save's rules, whole
        Assert.Single(Directory.GetFiles(_dir));                        // no temp file left behind
    }

    [Fact]
    public void Save_LeftoverTempFileFromEarlierRun_IsNotReusedOrTouched()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "snr0.state.json");
        string leftover = Path.Combine(_dir, $".snr0.state.json.{Environment.ProcessId}.tmp");
        File.WriteAllText(leftover, "junk");

        PolicyStateFile.Save(path, [Rule("198.19.0.3/32", "drop")]);

        Assert.Equal("junk", File.ReadAllText(leftover));
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    [Fact]
    public void Save_NewDirectory_CreatesDir0700File0600AndLoadsBack()
    {
        string path = Path.Combine(_dir, "sub", "snr0.state.json");
        PolicyRule[] rules = [Rule("198.19.0.96/28", "peer", 3), Rule("198.19.0.3/32", "drop"), Rule("fd00:19::/64", "local")];

        PolicyStateFile.Save(path, rules);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(rules, PolicyStateFile.Load(path, out var errors));
        Assert.Empty(errors);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));   // no temp file left behind
    }

    [Fact]
    public void Save_ExistingLooseFile_ReplacedWith0600()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "x.state.json");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);

        PolicyStateFile.Save(path, [Rule("198.19.0.3/32", "drop")]);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Contains("\"action\": \"drop\"", File.ReadAllText(path));
    }

    [Fact]
    public void Serialize_Rules_DocumentedShape()
    {
        string text = PolicyStateFile.Serialize([Rule("198.19.0.96/28", "peer", 3), Rule("198.19.0.3/32", "drop")]);

        Assert.Equal(
            "{\"schema_version\":1,\"rules\":[{\"prefix\":\"198.19.0.96/28\",\"action\":\"peer\",\"peer_id\":3},{\"prefix\":\"198.19.0.3/32\",\"action\":\"drop\"}]}",
            text.Replace(" ", "").Replace("\n", "").Replace("\r", ""));
    }

    [Fact]
    public void Load_MissingFile_NoRulesNoErrors()
    {
        Assert.Empty(PolicyStateFile.Load(Path.Combine(_dir, "none.json"), out var errors));
        Assert.Empty(errors);
    }

    [Fact]
    public void Load_BadRule_ReportedWithIndexOthersKept()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "s.json");
        File.WriteAllText(path, """{"schema_version":1,"rules":[{"prefix":"198.19.0.9/24","action":"drop"},{"prefix":"198.19.0.3/32","action":"local"}]}""");

        var rules = PolicyStateFile.Load(path, out var errors);

        Assert.Equal([Rule("198.19.0.3/32", "local")], rules);
        Assert.Equal($"{path}: rules[0]: '198.19.0.9/24' has host bits set; write the network 198.19.0.0/24", Assert.Single(errors));
    }

    [Theory]
    [InlineData("fifo", "is a FIFO (named pipe), not a regular file")]
    [InlineData("/dev/zero", "is a character device, not a regular file")]
    [InlineData("link-to-fifo", "which is a FIFO (named pipe), not a regular file")]
    [InlineData("link-to-zero", "which is a character device, not a regular file")]
    public void Load_SpecialFile_ErrorNamesPathAndFixWithoutHanging(string kind, string problem)
    {
        using var files = new Overlay.Tests.Fakes.SpecialFiles();
        string path = kind switch
        {
            "fifo" => files.Fifo(),
            "link-to-fifo" => files.SymlinkTo(files.Fifo(), "snr0.state.json"),
            "link-to-zero" => files.SymlinkTo("/dev/zero", "snr0.state.json"),
            _ => kind,
        };
        IReadOnlyList<string> errors = [];
        var rules = Overlay.Tests.Fakes.SpecialFiles.WithinTenSeconds(() => PolicyStateFile.Load(path, out errors));
        Assert.Empty(rules);
        string e = Assert.Single(errors);
        Assert.StartsWith($"{path}: state file ", e);
        Assert.Contains(problem, e);
        Assert.Contains("SUBNETRA_STATE", e);
    }

    [Fact]
    public void Load_OverLimit_ErrorNamesLimit()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "big.json");
        using (var f = File.Create(path)) f.SetLength(PolicyStateFile.MaxBytes + 1);
        Assert.Empty(PolicyStateFile.Load(path, out var errors));
        Assert.Contains("the limit is 16777216 bytes", Assert.Single(errors));
    }

    [Theory]
    [InlineData("{not json", "cannot read state file")]
    [InlineData("null", "JSON null")]
    [InlineData("""{"schema_version":2,"rules":[]}""", "schema_version 2 is not supported")]
    public void Load_BadFile_ErrorNamesPath(string content, string reason)
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, content);

        Assert.Empty(PolicyStateFile.Load(path, out var errors));
        string e = Assert.Single(errors);
        Assert.StartsWith(path + ": ", e);
        Assert.Contains(reason, e);
    }

    [Theory]
    [InlineData("snr0", null, PolicyStateFile.DefaultDirectory + "/snr0.state.json")]
    [InlineData("snr0", "", PolicyStateFile.DefaultDirectory + "/snr0.state.json")]
    [InlineData("snr0", "/tmp/a/b.json", "/tmp/a/b.json")]
    public void ResolvePath_EnvironmentOrPerTunDefault(string tun, string? env, string expected)
    {
        Assert.Equal(expected, PolicyStateFile.ResolvePath(tun, env));
    }
}

/// <summary>The policy fields of control requests: optional, omitted when unset, checked per command.</summary>
public sealed class PolicyRequestJsonTests
{
    private static bool Parse(string line, out ControlRequest? request, out string? error) =>
        ControlJson.TryParseRequest(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(line)), out request, out error);

    [Fact]
    public void Serialize_StatusRequest_StaysCommandOnly()
    {
        Assert.Equal("{\"command\":\"status\"}", ControlJson.Serialize(new ControlRequest { Command = "status" }, ControlJson.Request));
    }

    [Fact]
    public void Parse_PolicyAdd_AllFields()
    {
        Assert.True(Parse("""{"command":"policy_add","prefix":"198.19.0.0/24","action":"peer","peer_id":3}""", out var r, out var e), e);
        Assert.Equal(("198.19.0.0/24", "peer", 3), (r!.Prefix, r.Action, r.PeerId));
    }

    [Theory]
    [InlineData("""{"command":"status","prefix":"198.19.0.0/24"}""", "invalid request: field 'prefix' does not apply to command 'status'")]
    [InlineData("""{"command":"policy_del","prefix":"198.19.0.0/24","action":"drop"}""", "invalid request: field 'action' does not apply to command 'policy_del'")]
    [InlineData("""{"command":"reload","peer_id":2}""", "invalid request: field 'peer_id' does not apply to command 'reload'")]
    public void Parse_FieldForOtherCommand_Refused(string line, string expected)
    {
        Assert.False(Parse(line, out _, out var error));
        Assert.Equal(expected, error);
    }
}
