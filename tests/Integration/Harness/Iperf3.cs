using System.Globalization;
using System.Text.Json;

namespace Overlay.Integration.Tests.Harness;

/// <summary>Client options for <see cref="Iperf3.RunClient"/>.</summary>
public sealed record Iperf3Options
{
    /// <summary>UDP instead of TCP (then set <see cref="Bandwidth"/>, iperf3's UDP default is only 1 Mbit/s).</summary>
    public bool Udp { get; init; }

    /// <summary>Target rate, iperf3 syntax (<c>"200M"</c>); null = iperf3 default.</summary>
    public string? Bandwidth { get; init; }

    /// <summary>Server sends, client receives (<c>-R</c>).</summary>
    public bool Reverse { get; init; }

    public int Parallel { get; init; } = 1;

    /// <summary>Payload length per write (<c>-l</c>), e.g. 1300 for UDP under a 1420 tunnel MTU.</summary>
    public int? Length { get; init; }
}

/// <summary>Parsed end-of-test summary of <c>iperf3 -J</c>.</summary>
public sealed record Iperf3Result(double BitsPerSecond, double SentBitsPerSecond, long? Retransmits, double? LostPercent, string Json)
{
    public double MegabitsPerSecond => BitsPerSecond / 1e6;

    public override string ToString() =>
        $"{MegabitsPerSecond.ToString("0.0", CultureInfo.InvariantCulture)} Mbit/s (retransmits {Retransmits?.ToString(CultureInfo.InvariantCulture) ?? "-"}, lost {LostPercent?.ToString("0.##", CultureInfo.InvariantCulture) ?? "-"} %)";
}

/// <summary>An <c>iperf3 -s</c> bound to one address in a namespace; ready when it prints "Server listening".</summary>
public sealed class Iperf3Server : IDisposable
{
    private Iperf3Server(ManagedProcess process, string address, int port)
    {
        Process = process;
        Address = address;
        Port = port;
    }

    public ManagedProcess Process { get; }

    public string Address { get; }

    public int Port { get; }

    public static async Task<Iperf3Server> StartAsync(string ns, string bindAddress, int port = 5201, TimeSpan? readyTimeout = null)
    {
        Netns.RequireAllowed(bindAddress);
        string[] args = ["-s", "-B", bindAddress, "-p", port.ToString(CultureInfo.InvariantCulture), "--forceflush"];
        ManagedProcess process = ManagedProcess.Start(new ProcessSpec("iperf3", args) { Netns = ns, DisplayName = "iperf3-server" });
        try
        {
            await process.WaitForLineAsync("Server listening", readyTimeout ?? TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new Iperf3Server(process, bindAddress, port);
    }

    public void Dispose() => Process.Dispose();
}

/// <summary>iperf3 client runs, bounded: <c>-t seconds</c>, a 5 s connect timeout, and a hard limit of seconds + 20.</summary>
public static class Iperf3
{
    /// <summary>
    /// Runs <c>iperf3 -c server -t seconds -J</c> from <paramref name="ns"/>. Returns the receiver-side rate
    /// (TCP: sum_received; UDP: sum). Throws with iperf3's error text if the test failed.
    /// </summary>
    public static Iperf3Result RunClient(string ns, string serverAddress, int port = 5201, int seconds = 3, Iperf3Options? options = null)
    {
        Netns.RequireAllowed(serverAddress);
        options ??= new Iperf3Options();
        var argv = new List<string>
        {
            "iperf3", "-c", serverAddress, "-p", port.ToString(CultureInfo.InvariantCulture),
            "-t", seconds.ToString(CultureInfo.InvariantCulture), "-J", "--connect-timeout", "5000",
            "-P", options.Parallel.ToString(CultureInfo.InvariantCulture),
        };
        if (options.Udp)
        {
            argv.Add("-u");
        }

        if (options.Bandwidth is not null)
        {
            argv.Add("-b");
            argv.Add(options.Bandwidth);
        }

        if (options.Reverse)
        {
            argv.Add("-R");
        }

        if (options.Length is int length)
        {
            argv.Add("-l");
            argv.Add(length.ToString(CultureInfo.InvariantCulture));
        }

        ExecResult result = Netns.Exec(ns, argv, TimeSpan.FromSeconds(seconds + 20));
        if (result.TimedOut)
        {
            throw new HarnessException(result.Describe());
        }

        try
        {
            return Parse(result.Stdout, options.Udp);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new HarnessException($"cannot parse iperf3 JSON: {e.Message}\n{result.Describe()}", e);
        }
    }

    /// <summary>Parses <c>iperf3 -J</c> client output.</summary>
    public static Iperf3Result Parse(string json, bool udp)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        if (root.TryGetProperty("error", out JsonElement error))
        {
            throw new HarnessException($"iperf3 failed: {error.GetString()}");
        }

        JsonElement end = root.GetProperty("end");
        if (udp)
        {
            // Newer iperf3 adds sum_received (the receiver's view) for UDP; 3.12 has only sum.
            JsonElement sum = end.TryGetProperty("sum_received", out JsonElement receivedSum) ? receivedSum : end.GetProperty("sum");
            double bps = sum.GetProperty("bits_per_second").GetDouble();
            double? lost = sum.TryGetProperty("lost_percent", out JsonElement l) ? l.GetDouble() : null;
            return new Iperf3Result(bps, bps, null, lost, json);
        }

        double received = end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
        JsonElement sent = end.GetProperty("sum_sent");
        long? retransmits = sent.TryGetProperty("retransmits", out JsonElement r) ? r.GetInt64() : null;
        return new Iperf3Result(received, sent.GetProperty("bits_per_second").GetDouble(), retransmits, null, json);
    }
}
