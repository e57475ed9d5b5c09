using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Overlay.Os.Uapi;

/// <summary>
/// An ASCII text (a reply, or a received set request) built in a byte array rented from <see cref="ArrayPool{T}.Shared"/> and zeroed before it
/// goes back, for replies that carry key material (the UAPI <c>get=1</c> reply holds the private key and
/// every PSK; a <c>set=1</c> body holds private_key and preshared_key hex as received). Keys are written as hex straight from their bytes, so no immutable .NET string ever holds
/// one: a string cannot be wiped and lives until the GC reuses its memory (issue 12 item 6). When the
/// reply outgrows its array, the old array is zeroed before it is returned to the pool.
/// </summary>
public sealed class SecretReplyBuffer : IDisposable
{
    private byte[] _array;
    private int _length;

    public SecretReplyBuffer(int initialCapacity = 1024) => _array = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public ReadOnlyMemory<byte> Written => _array.AsMemory(0, _length);

    public int Length => _length;

    /// <summary>The array itself, for tests that check it is wiped; valid until the next append or Dispose.</summary>
    internal byte[] Array => _array;

    public void Append(ReadOnlySpan<byte> ascii) => ascii.CopyTo(Grow(ascii.Length));

    /// <summary>Non-secret text (field names, endpoints, prefixes); characters above 0x7F become '?'.</summary>
    public void Append(string text)
    {
        Span<byte> dest = Grow(text.Length);
        for (int i = 0; i < text.Length; i++) dest[i] = text[i] < 0x80 ? (byte)text[i] : (byte)'?';
    }

    public void Append(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        Append(digits[..n]);
    }

    /// <summary>A non-secret value in its UTF-8 text form (an allowed IP prefix), formatted in place.</summary>
    public void AppendFormatted<T>(T value) where T : IUtf8SpanFormattable
    {
        Span<byte> dest = Grow(64);
        if (!value.TryFormat(dest, out int n, default, CultureInfo.InvariantCulture))
            throw new ArgumentException($"{typeof(T).Name} longer than 64 bytes as text", nameof(value));
        _length -= 64 - n;
    }

    /// <summary>Lowercase hex of <paramref name="bytes"/>, written byte by byte (no string).</summary>
    public void AppendHex(ReadOnlySpan<byte> bytes)
    {
        Span<byte> dest = Grow(bytes.Length * 2);
        for (int i = 0; i < bytes.Length; i++)
        {
            dest[2 * i] = HexDigit(bytes[i] >> 4);
            dest[2 * i + 1] = HexDigit(bytes[i] & 0xF);
        }
    }

    /// <summary>Appends <paramref name="count"/> bytes for the caller to fill (a received line copied in place).</summary>
    public Span<byte> Reserve(int count) => Grow(count);

    /// <summary>Drops the last <paramref name="count"/> bytes written, zeroing them.</summary>
    public void Unreserve(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _length);
        CryptographicOperations.ZeroMemory(_array.AsSpan(_length - count, count));
        _length -= count;
    }

    /// <summary>Zeroes what was written and starts again in the same array (a streamed reply's next chunk).</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(_array.AsSpan(0, _length));
        _length = 0;
    }

    /// <summary>The text, for tests and non-secret replies only.</summary>
    public override string ToString() => Encoding.ASCII.GetString(_array, 0, _length);

    public void Dispose()
    {
        if (_array.Length == 0) return;
        CryptographicOperations.ZeroMemory(_array);
        ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        _length = 0;
    }

    private static byte HexDigit(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    private Span<byte> Grow(int count)
    {
        ObjectDisposedException.ThrowIf(_array.Length == 0 && count > 0, this);
        if (_length + count > _array.Length)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, _length + count));
            _array.AsSpan(0, _length).CopyTo(bigger);
            CryptographicOperations.ZeroMemory(_array);
            ArrayPool<byte>.Shared.Return(_array);
            _array = bigger;
        }
        Span<byte> span = _array.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
