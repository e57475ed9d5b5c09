using System.Text;

namespace Overlay.Integration.Tests.Harness;

/// <summary>The packets of one finished capture, with marker searches for "no plaintext on the underlay" checks.</summary>
public sealed class CaptureResult
{
    public CaptureResult(IReadOnlyList<CapturedPacket> packets, string tcpdumpOutput)
    {
        Packets = packets;
        TcpdumpOutput = tcpdumpOutput;
    }

    public IReadOnlyList<CapturedPacket> Packets { get; }

    public int Count => Packets.Count;

    /// <summary>tcpdump's own stderr (e.g. "N packets captured"), for diagnostics.</summary>
    public string TcpdumpOutput { get; }

    /// <summary>Number of packets whose bytes contain <paramref name="marker"/>.</summary>
    public int CountContaining(ReadOnlySpan<byte> marker)
    {
        int n = 0;
        foreach (CapturedPacket packet in Packets)
        {
            if (packet.Data.AsSpan().IndexOf(marker) >= 0)
            {
                n++;
            }
        }

        return n;
    }

    public bool Contains(ReadOnlySpan<byte> marker) => CountContaining(marker) > 0;

    public bool Contains(string asciiMarker) => Contains(Encoding.ASCII.GetBytes(asciiMarker));

    /// <summary>Packets that are UDP (IPv4 over Ethernet) to or from <paramref name="port"/>.</summary>
    public int CountUdp(int port) => Packets.Count(p => IsUdpPort(p.Data, port));

    public override string ToString() => $"{Count} packets; {TcpdumpOutput}";

    private static bool IsUdpPort(byte[] frame, int port)
    {
        // Ethernet II (14) + IPv4 (IHL*4) + UDP ports; veth captures are EN10MB.
        if (frame.Length < 14 + 20 + 4 || frame[12] != 0x08 || frame[13] != 0x00 || frame[14 + 9] != 17)
        {
            return false;
        }

        int udp = 14 + ((frame[14] & 0x0F) * 4);
        if (frame.Length < udp + 4)
        {
            return false;
        }

        int source = (frame[udp] << 8) | frame[udp + 1];
        int destination = (frame[udp + 2] << 8) | frame[udp + 3];
        return source == port || destination == port;
    }
}

/// <summary>
/// <c>tcpdump -w</c> on one interface of a namespace, into a private .pcap file. Start it, run the
/// traffic, then <see cref="StopAsync"/> (SIGINT so tcpdump flushes) and inspect the result.
/// Start returns only after tcpdump reports "listening on", so no packet sent afterwards is missed.
/// </summary>
public sealed class PacketCapture : IDisposable
{
    private readonly ManagedProcess _process;
    private readonly string _path;

    private PacketCapture(ManagedProcess process, string path)
    {
        _process = process;
        _path = path;
    }

    public string PcapPath => _path;

    /// <summary>
    /// Starts capturing on <paramref name="iface"/> in <paramref name="ns"/> with an optional pcap-filter(7)
    /// expression (e.g. <c>"udp"</c>, <c>"icmp"</c>). Full frames (-s 0), no name resolution, packet-buffered.
    /// </summary>
    public static async Task<PacketCapture> StartAsync(string ns, string iface, string? filter = null, TimeSpan? readyTimeout = null)
    {
        string path = Path.Combine(HarnessRun.TempDirectory, $"capture-{HarnessRun.NextSequence()}.pcap");

        // -Z root: Debian's tcpdump otherwise drops to user tcpdump before opening the file and cannot write it.
        // --immediate-mode: with TPACKET_V3 packets otherwise wait in the ring for a block timeout, and a
        // SIGINT in that window ends tcpdump with them uncounted ("N received by filter, 0 captured").
        var args = new List<string> { "-i", iface, "-n", "-U", "--immediate-mode", "-s", "0", "-Z", "root", "-w", path };
        if (!string.IsNullOrWhiteSpace(filter))
        {
            args.AddRange(filter.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        ManagedProcess process = ManagedProcess.Start(new ProcessSpec("tcpdump", args) { Netns = ns, DisplayName = $"tcpdump[{iface}]" });
        try
        {
            await process.WaitForLineAsync("listening on", readyTimeout ?? TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch
        {
            process.Dispose();
            throw;
        }

        return new PacketCapture(process, path);
    }

    /// <summary>Captures for the duration of <paramref name="traffic"/> (or <paramref name="duration"/> if null) and returns the packets.</summary>
    public static async Task<CaptureResult> CaptureAsync(string ns, string iface, TimeSpan duration, string? filter = null, Func<Task>? traffic = null)
    {
        using PacketCapture capture = await StartAsync(ns, iface, filter).ConfigureAwait(false);
        if (traffic is not null)
        {
            await traffic().ConfigureAwait(false);
        }
        else
        {
            await Task.Delay(duration).ConfigureAwait(false);
        }

        return await capture.StopAsync().ConfigureAwait(false);
    }

    /// <summary>Stops tcpdump (SIGINT, then KILL after 5 s) and parses what it wrote.</summary>
    public async Task<CaptureResult> StopAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(5), NativeMethods.SIGINT).ConfigureAwait(false);
        IReadOnlyList<CapturedPacket> packets = File.Exists(_path) ? Pcap.Read(_path) : [];
        return new CaptureResult(packets, string.Join('\n', _process.Lines.Select(l => l.Text)));
    }

    public void Dispose()
    {
        _process.Dispose();
        try
        {
            File.Delete(_path);
        }
        catch (IOException)
        {
            // The run's temp directory is removed at exit anyway.
        }
    }
}
