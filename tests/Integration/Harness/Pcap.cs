using System.Buffers.Binary;

namespace Overlay.Integration.Tests.Harness;

/// <summary>One frame from a capture file, as captured (possibly truncated to the snap length).</summary>
public sealed record CapturedPacket(DateTimeOffset Timestamp, int OriginalLength, byte[] Data);

/// <summary>
/// Minimal reader for the classic libpcap file format (what <c>tcpdump -w</c> writes):
/// 24-byte global header (magic a1b2c3d4 µs or a1b23c4d ns, either byte order), then per
/// record a 16-byte header (ts_sec, ts_frac, incl_len, orig_len) and incl_len bytes.
/// Source: pcap-savefile(5) and draft-ietf-opsawg-pcap. A truncated last record (tcpdump
/// killed mid-write) is ignored rather than thrown on.
/// </summary>
public static class Pcap
{
    private const int GlobalHeaderLength = 24;
    private const int RecordHeaderLength = 16;

    public static IReadOnlyList<CapturedPacket> Read(string path) => Parse(File.ReadAllBytes(path));

    public static IReadOnlyList<CapturedPacket> Parse(ReadOnlySpan<byte> file)
    {
        if (file.Length == 0)
        {
            return [];
        }

        if (file.Length < GlobalHeaderLength)
        {
            throw new HarnessException($"pcap file too short ({file.Length} bytes)");
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        bool littleEndian;
        bool nanoseconds;
        switch (magic)
        {
            case 0xa1b2c3d4: littleEndian = true; nanoseconds = false; break;
            case 0xa1b23c4d: littleEndian = true; nanoseconds = true; break;
            case 0xd4c3b2a1: littleEndian = false; nanoseconds = false; break;
            case 0x4d3cb2a1: littleEndian = false; nanoseconds = true; break;
            default: throw new HarnessException($"not a pcap file (magic 0x{magic:x8})");
        }

        uint U32(ReadOnlySpan<byte> s) => littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);

        var packets = new List<CapturedPacket>();
        int offset = GlobalHeaderLength;
        while (offset + RecordHeaderLength <= file.Length)
        {
            ReadOnlySpan<byte> header = file.Slice(offset, RecordHeaderLength);
            long seconds = U32(header);
            long fraction = U32(header[4..]);
            int included = checked((int)U32(header[8..]));
            int original = checked((int)U32(header[12..]));
            offset += RecordHeaderLength;
            if (included < 0 || offset + included > file.Length)
            {
                break;
            }

            long ticks = nanoseconds ? fraction / 100 : fraction * 10;
            DateTimeOffset time = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(ticks);
            packets.Add(new CapturedPacket(time, original, file.Slice(offset, included).ToArray()));
            offset += included;
        }

        return packets;
    }
}
