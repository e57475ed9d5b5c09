using System.CommandLine;
using Overlay.Cli;
using Overlay.Os.Control;
using Overlay.Protocol.Control;

namespace Overlay.Cli.Tests.Control;

/// <summary><c>subnetra policy add|del|show</c>, <c>save</c> and <c>reload</c> against a fake control handler.</summary>
public sealed class PolicyCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine("/tmp", "cli-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<ControlRequest> _requests = [];
    private string SocketPath => Path.Combine(_dir, "subnetra.sock");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private ControlServer Serve(ControlResponse reply) => ControlServer.Start(SocketPath, (request, _) =>
    {
        lock (_requests) _requests.Add(request);
        return ValueTask.FromResult(reply);
    });

    private static async Task<(int Exit, string Out, string Err)> InvokeAsync(params string[] args)
    {
        var root = new RootCommand("test") { PolicyCommand.CreatePolicy(), PolicyCommand.CreateSave(), PolicyCommand.CreateReload() };
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static PolicyView SampleView() => new()
    {
        Rules = [new PolicyRuleInfo { Prefix = "198.19.0.3/32", Action = "drop" }, new PolicyRuleInfo { Prefix = "198.19.0.96/28", Action = "peer", PeerId = 3 }],
        Table =
        [
            new TableEntryInfo { Prefix = "198.19.0.3/32", Action = "drop", Source = "rule" },
            new TableEntryInfo { Prefix = "198.19.0.1/32", Action = "local", Source = "config" },
            new TableEntryInfo { Prefix = "198.19.0.2/32", Action = "peer", PeerId = 2, PeerName = "spoke1", Source = "config" },
            new TableEntryInfo { Prefix = "198.19.0.96/28", Action = "peer", PeerId = 3, PeerName = "spoke2", Source = "rule" },
        ],
    };

    [Theory]
    [InlineData("peer:3", "peer", 3)]
    [InlineData("local", "local", null)]
    [InlineData("drop", "drop", null)]
    public async Task PolicyAdd_Target_SendsRuleAndPrintsDaemonMessage(string to, string action, int? peerId)
    {
        await using ControlServer server = Serve(new ControlResponse { Ok = true, Message = "added rule X", Policy = SampleView() });

        var (exit, stdout, stderr) = await InvokeAsync("policy", "add", "198.19.0.96/28", "--to", to, "--socket", SocketPath);

        Assert.Equal((0, "added rule X\n", ""), (exit, stdout, stderr));
        ControlRequest r = Assert.Single(_requests);
        Assert.Equal((ControlCommands.PolicyAdd, "198.19.0.96/28", action, peerId), (r.Command, r.Prefix, r.Action, r.PeerId));
    }

    [Theory]
    [InlineData("peer:0")]
    [InlineData("peer:70000")]
    [InlineData("peer:")]
    [InlineData("peer:x")]
    [InlineData("forward")]
    public void PolicyAdd_BadTarget_UsageErrorExit2(string to)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = CliCommand.Run(["policy", "add", "198.19.0.0/24", "--to", to, "--socket", SocketPath], TextReader.Null, stdout, stderr);

        Assert.Equal(2, exit);
        Assert.Contains("--to must be peer:ID (ID 1..65535), local or drop", stderr.ToString());
        Assert.Equal("", stdout.ToString());
    }

    [Fact]
    public void PolicyAdd_NoTarget_UsageErrorExit2()
    {
        var stderr = new StringWriter();

        int exit = CliCommand.Run(["policy", "add", "198.19.0.0/24", "--socket", SocketPath], TextReader.Null, new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.Contains("--to", stderr.ToString());
    }

    [Fact]
    public async Task PolicyDel_DaemonRefuses_ErrorOnStderrExit1()
    {
        await using ControlServer server = Serve(ControlResponse.Failure("no rule for 198.19.0.0/24 (there are no rules)"));

        var (exit, stdout, stderr) = await InvokeAsync("policy", "del", "198.19.0.0/24", "--socket", SocketPath);

        Assert.Equal((1, ""), (exit, stdout));
        Assert.Equal("daemon replied with an error: no rule for 198.19.0.0/24 (there are no rules)\n", stderr);
        ControlRequest r = Assert.Single(_requests);
        Assert.Equal((ControlCommands.PolicyDel, "198.19.0.0/24", null, null), (r.Command, r.Prefix, r.Action, r.PeerId));
    }

    [Fact]
    public async Task PolicyShow_Human_RulesAndTable()
    {
        await using ControlServer server = Serve(new ControlResponse { Ok = true, Policy = SampleView() });

        var (exit, stdout, _) = await InvokeAsync("policy", "show", "--socket", SocketPath);

        Assert.Equal(0, exit);
        Assert.Equal(
            "rules: 2\n" +
            "  PREFIX          ACTION\n" +
            "  198.19.0.3/32   drop\n" +
            "  198.19.0.96/28  peer:3\n" +
            "\n" +
            "table (longest prefix first):\n" +
            "  PREFIX          TARGET           SOURCE\n" +
            "  198.19.0.3/32   drop             rule\n" +
            "  198.19.0.1/32   local            config\n" +
            "  198.19.0.2/32   peer 2 (spoke1)  config\n" +
            "  198.19.0.96/28  peer 3 (spoke2)  rule\n",
            stdout);
        Assert.Equal(ControlCommands.PolicyShow, Assert.Single(_requests).Command);
    }

    [Fact]
    public async Task PolicyShow_Json_PolicyObjectOnOneLine()
    {
        await using ControlServer server = Serve(new ControlResponse { Ok = true, Policy = SampleView() });

        var (exit, stdout, _) = await InvokeAsync("policy", "show", "--json", "--socket", SocketPath);

        Assert.Equal(0, exit);
        Assert.Equal(ControlJson.Serialize(SampleView(), ControlJsonContext.Default.PolicyView) + "\n", stdout);
    }

    [Fact]
    public async Task PolicyShow_NoDaemon_DaemonNotRunningExit1()
    {
        var (exit, stdout, stderr) = await InvokeAsync("policy", "show", "--socket", SocketPath);

        Assert.Equal((1, "", $"daemon not running (socket {SocketPath})\n"), (exit, stdout, stderr));
    }

    [Fact]
    public async Task Save_PrintsWhereItWrote()
    {
        await using ControlServer server = Serve(new ControlResponse { Ok = true, Message = "saved 2 rule(s) to /var/lib/subnetra/snr0.state.json", StateFile = "/var/lib/subnetra/snr0.state.json" });

        var (exit, stdout, _) = await InvokeAsync("save", "--socket", SocketPath);

        Assert.Equal((0, "saved 2 rule(s) to /var/lib/subnetra/snr0.state.json\n"), (exit, stdout));
        Assert.Equal(ControlCommands.Save, Assert.Single(_requests).Command);
    }

    [Fact]
    public void CreateSave_Description_NamesThisOsDefaultStateDirectory()
    {
        string description = PolicyCommand.CreateSave().Description!;

        string expected = OperatingSystem.IsMacOS() ? "/var/db/subnetra/<tun_name>.state.json" : "/var/lib/subnetra/<tun_name>.state.json";
        Assert.Contains(expected, description);
        Assert.Contains("$SUBNETRA_STATE", description);
    }

    [Fact]
    public async Task Reload_Summary_OneLinePerChange()
    {
        var summary = new ReloadSummary
        {
            Config = "/etc/subnetra/config.json",
            Added = [4],
            Removed = [5],
            Changed = [new ReloadPeerChange { Id = 3, Name = "office", Changed = ["name", "allowed_src"], Session = "kept" },
                       new ReloadPeerChange { Id = 6, Name = "nas", Changed = ["psk"], Session = "new" }],
            Unchanged = [2],
            RestartRequired = ["tun_name snr0 -> snr1"],
            Warnings = ["warning: peers[0].allowed_src: host bits set"],
        };
        await using ControlServer server = Serve(new ControlResponse { Ok = true, Message = "reloaded /etc/subnetra/config.json: 1 added, 1 removed, 2 changed, 1 unchanged", Reload = summary });

        var (exit, stdout, _) = await InvokeAsync("reload", "--socket", SocketPath);

        Assert.Equal(0, exit);
        Assert.Equal(
            "reloaded /etc/subnetra/config.json: 1 added, 1 removed, 2 changed, 1 unchanged\n" +
            "warning: peers[0].allowed_src: host bits set\n" +
            "  added: 4\n" +
            "  removed: 5 (keys zeroed)\n" +
            "  changed: 3 (office): name, allowed_src; session kept\n" +
            "  changed: 6 (nas): psk; session new (handshake follows)\n" +
            "  unchanged: 2 (sessions kept)\n" +
            "  restart required: tun_name snr0 -> snr1\n",
            stdout);
        Assert.Equal(ControlCommands.Reload, Assert.Single(_requests).Command);
    }

    [Fact]
    public async Task Reload_Json_ReloadObjectOnOneLine()
    {
        var summary = new ReloadSummary { Config = "/c.json", Unchanged = [2, 3] };
        await using ControlServer server = Serve(new ControlResponse { Ok = true, Message = "m", Reload = summary });

        var (exit, stdout, _) = await InvokeAsync("reload", "--json", "--socket", SocketPath);

        Assert.Equal(0, exit);
        Assert.Equal(ControlJson.Serialize(summary, ControlJsonContext.Default.ReloadSummary) + "\n", stdout);
    }

    [Fact]
    public async Task Reload_InvalidConfig_CheckErrorsOnStderrExit1()
    {
        const string error = "reload refused, the running config stays; /c.json is invalid:\n/c.json: peers[0].psk: required";
        await using ControlServer server = Serve(ControlResponse.Failure(error));

        var (exit, stdout, stderr) = await InvokeAsync("reload", "--socket", SocketPath);

        Assert.Equal((1, ""), (exit, stdout));
        Assert.Equal("daemon replied with an error: " + error + "\n", stderr);
    }
}
