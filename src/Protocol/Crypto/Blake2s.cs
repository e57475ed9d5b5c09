using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// BLAKE2s, RFC 7693: 32-bit words, 64-byte blocks, 10 rounds, digest 1..32 bytes, optional
/// key 0..32 bytes. WireGuard uses it unkeyed as HASH (32 bytes), keyed as MAC (16 bytes, for
/// mac1/mac2/cookie) and inside HMAC (whitepaper §5.4). .NET has no BLAKE2s, so this is a
/// managed implementation: a value type with no heap state, and a compression function that
/// keeps v0..v15 and m0..m15 in locals with the message schedule unrolled (constant sigma
/// indices), which runs at about C speed (dotnet-feasibility.md §3).
/// </summary>
/// <remarks>
/// Usage: <c>var b = new Blake2s(32, key); b.Update(x); b.Final(output);</c>. The struct is
/// mutable; keep it in a local and do not copy it mid-stream. Final wipes the state, so the
/// same instance cannot be finalised twice. Final writes only after all input has been
/// consumed, so the output may alias any input.
/// </remarks>
public struct Blake2s
{
    public const int MaxOutput = 32;
    public const int BlockSize = 64;
    public const int MaxKey = 32;

    // RFC 7693 §2.6: the SHA-256 initial values.
    private const uint IV0 = 0x6A09E667, IV1 = 0xBB67AE85, IV2 = 0x3C6EF372, IV3 = 0xA54FF53A;
    private const uint IV4 = 0x510E527F, IV5 = 0x9B05688C, IV6 = 0x1F83D9AB, IV7 = 0x5BE0CD19;

    private State8 _h;
    private Block64 _buffer;
    private ulong _counter;
    private int _bufferLength;
    private int _outputLength;

    /// <param name="outputLength">Digest length in bytes, 1..32.</param>
    /// <param name="key">Optional key, 0..32 bytes (RFC 7693 §3.3: a keyed hash is a MAC).</param>
    public Blake2s(int outputLength, ReadOnlySpan<byte> key = default)
    {
        if (outputLength is < 1 or > MaxOutput)
        {
            throw new ArgumentOutOfRangeException(nameof(outputLength), outputLength, "BLAKE2s output is 1..32 bytes.");
        }

        if (key.Length > MaxKey)
        {
            throw new ArgumentException("BLAKE2s key is 0..32 bytes.", nameof(key));
        }

        _outputLength = outputLength;
        _counter = 0;
        _bufferLength = 0;

        // RFC 7693 §3.3: h[0] ^= 0x0101kknn (depth 1, fanout 1, key length kk, digest length nn).
        _h[0] = IV0 ^ 0x01010000u ^ ((uint)key.Length << 8) ^ (uint)outputLength;
        _h[1] = IV1;
        _h[2] = IV2;
        _h[3] = IV3;
        _h[4] = IV4;
        _h[5] = IV5;
        _h[6] = IV6;
        _h[7] = IV7;

        // A non-empty key is padded with zeros to one full block and hashed as the first block.
        if (!key.IsEmpty)
        {
            Span<byte> buffer = _buffer;
            key.CopyTo(buffer);
            buffer[key.Length..].Clear();
            _bufferLength = BlockSize;
        }
    }

    public void Update(ReadOnlySpan<byte> data)
    {
        if (_outputLength == 0)
        {
            ThrowNotInitialized();
        }

        if (data.IsEmpty)
        {
            return;
        }

        // The last block must be compressed with the final flag, so a full buffer is held back
        // until more data arrives; only blocks followed by more input are compressed here.
        Span<byte> buffer = _buffer;
        int free = BlockSize - _bufferLength;
        if (data.Length > free)
        {
            data[..free].CopyTo(buffer[_bufferLength..]);
            data = data[free..];
            _counter += BlockSize;
            Compress(ref _h, buffer, _counter, last: false);
            _bufferLength = 0;

            while (data.Length > BlockSize)
            {
                _counter += BlockSize;
                Compress(ref _h, data[..BlockSize], _counter, last: false);
                data = data[BlockSize..];
            }
        }

        data.CopyTo(buffer[_bufferLength..]);
        _bufferLength += data.Length;
    }

    /// <summary>Writes the digest (the constructor's outputLength bytes) and wipes the state.</summary>
    public void Final(Span<byte> output)
    {
        if (_outputLength == 0)
        {
            ThrowNotInitialized();
        }

        if (output.Length < _outputLength)
        {
            throw new ArgumentException($"Output must hold {_outputLength} bytes.", nameof(output));
        }

        Span<byte> buffer = _buffer;
        buffer[_bufferLength..].Clear();
        _counter += (ulong)_bufferLength;
        Compress(ref _h, buffer, _counter, last: true);

        Span<byte> digest = stackalloc byte[MaxOutput];
        Span<uint> h = _h;
        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(digest[(4 * i)..], h[i]);
        }

        digest[.._outputLength].CopyTo(output);
        CryptographicOperations.ZeroMemory(digest);
        CryptographicOperations.ZeroMemory(buffer);
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(h));
        _counter = 0;
        _bufferLength = 0;
        _outputLength = 0;
    }

    /// <summary>HASH(data): unkeyed BLAKE2s-256.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> output32)
    {
        var b = new Blake2s(MaxOutput);
        b.Update(data);
        b.Final(output32);
    }

    /// <summary>HASH(a ‖ b): unkeyed BLAKE2s-256 of the concatenation, as Noise MixHash uses it.</summary>
    public static void Hash(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> output32)
    {
        var h = new Blake2s(MaxOutput);
        h.Update(a);
        h.Update(b);
        h.Final(output32);
    }

    /// <summary>WireGuard MAC(key, data): keyed BLAKE2s with a 16-byte digest (not HMAC).</summary>
    public static void Mac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> output16)
    {
        var b = new Blake2s(16, key);
        b.Update(data);
        b.Final(output16);
    }

    private static void ThrowNotInitialized() =>
        throw new InvalidOperationException("Blake2s is not initialised or was already finalised; construct it with an output length.");

    /// <summary>RFC 7693 §3.2 compression function F over one 64-byte block.</summary>
    /// <param name="t">Total bytes hashed so far, including this block.</param>
    private static void Compress(ref State8 state, ReadOnlySpan<byte> block, ulong t, bool last)
    {
        if (block.Length != BlockSize)
        {
            throw new ArgumentException("BLAKE2s block is 64 bytes.", nameof(block));
        }

        ref byte p = ref MemoryMarshal.GetReference(block);
        uint m0 = Word(ref p, 0), m1 = Word(ref p, 1), m2 = Word(ref p, 2), m3 = Word(ref p, 3);
        uint m4 = Word(ref p, 4), m5 = Word(ref p, 5), m6 = Word(ref p, 6), m7 = Word(ref p, 7);
        uint m8 = Word(ref p, 8), m9 = Word(ref p, 9), m10 = Word(ref p, 10), m11 = Word(ref p, 11);
        uint m12 = Word(ref p, 12), m13 = Word(ref p, 13), m14 = Word(ref p, 14), m15 = Word(ref p, 15);

        Span<uint> h = state;
        uint h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7];

        uint v0 = h0, v1 = h1, v2 = h2, v3 = h3, v4 = h4, v5 = h5, v6 = h6, v7 = h7;
        uint v8 = IV0, v9 = IV1, v10 = IV2, v11 = IV3;
        uint v12 = IV4 ^ (uint)t;
        uint v13 = IV5 ^ (uint)(t >> 32);
        uint v14 = last ? ~IV6 : IV6;
        uint v15 = IV7;

        // Round 0: sigma[0] = 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
        G(ref v0, ref v4, ref v8, ref v12, m0, m1);
        G(ref v1, ref v5, ref v9, ref v13, m2, m3);
        G(ref v2, ref v6, ref v10, ref v14, m4, m5);
        G(ref v3, ref v7, ref v11, ref v15, m6, m7);
        G(ref v0, ref v5, ref v10, ref v15, m8, m9);
        G(ref v1, ref v6, ref v11, ref v12, m10, m11);
        G(ref v2, ref v7, ref v8, ref v13, m12, m13);
        G(ref v3, ref v4, ref v9, ref v14, m14, m15);

        // Round 1: sigma[1] = 14 10 4 8 9 15 13 6 1 12 0 2 11 7 5 3
        G(ref v0, ref v4, ref v8, ref v12, m14, m10);
        G(ref v1, ref v5, ref v9, ref v13, m4, m8);
        G(ref v2, ref v6, ref v10, ref v14, m9, m15);
        G(ref v3, ref v7, ref v11, ref v15, m13, m6);
        G(ref v0, ref v5, ref v10, ref v15, m1, m12);
        G(ref v1, ref v6, ref v11, ref v12, m0, m2);
        G(ref v2, ref v7, ref v8, ref v13, m11, m7);
        G(ref v3, ref v4, ref v9, ref v14, m5, m3);

        // Round 2: sigma[2] = 11 8 12 0 5 2 15 13 10 14 3 6 7 1 9 4
        G(ref v0, ref v4, ref v8, ref v12, m11, m8);
        G(ref v1, ref v5, ref v9, ref v13, m12, m0);
        G(ref v2, ref v6, ref v10, ref v14, m5, m2);
        G(ref v3, ref v7, ref v11, ref v15, m15, m13);
        G(ref v0, ref v5, ref v10, ref v15, m10, m14);
        G(ref v1, ref v6, ref v11, ref v12, m3, m6);
        G(ref v2, ref v7, ref v8, ref v13, m7, m1);
        G(ref v3, ref v4, ref v9, ref v14, m9, m4);

        // Round 3: sigma[3] = 7 9 3 1 13 12 11 14 2 6 5 10 4 0 15 8
        G(ref v0, ref v4, ref v8, ref v12, m7, m9);
        G(ref v1, ref v5, ref v9, ref v13, m3, m1);
        G(ref v2, ref v6, ref v10, ref v14, m13, m12);
        G(ref v3, ref v7, ref v11, ref v15, m11, m14);
        G(ref v0, ref v5, ref v10, ref v15, m2, m6);
        G(ref v1, ref v6, ref v11, ref v12, m5, m10);
        G(ref v2, ref v7, ref v8, ref v13, m4, m0);
        G(ref v3, ref v4, ref v9, ref v14, m15, m8);

        // Round 4: sigma[4] = 9 0 5 7 2 4 10 15 14 1 11 12 6 8 3 13
        G(ref v0, ref v4, ref v8, ref v12, m9, m0);
        G(ref v1, ref v5, ref v9, ref v13, m5, m7);
        G(ref v2, ref v6, ref v10, ref v14, m2, m4);
        G(ref v3, ref v7, ref v11, ref v15, m10, m15);
        G(ref v0, ref v5, ref v10, ref v15, m14, m1);
        G(ref v1, ref v6, ref v11, ref v12, m11, m12);
        G(ref v2, ref v7, ref v8, ref v13, m6, m8);
        G(ref v3, ref v4, ref v9, ref v14, m3, m13);

        // Round 5: sigma[5] = 2 12 6 10 0 11 8 3 4 13 7 5 15 14 1 9
        G(ref v0, ref v4, ref v8, ref v12, m2, m12);
        G(ref v1, ref v5, ref v9, ref v13, m6, m10);
        G(ref v2, ref v6, ref v10, ref v14, m0, m11);
        G(ref v3, ref v7, ref v11, ref v15, m8, m3);
        G(ref v0, ref v5, ref v10, ref v15, m4, m13);
        G(ref v1, ref v6, ref v11, ref v12, m7, m5);
        G(ref v2, ref v7, ref v8, ref v13, m15, m14);
        G(ref v3, ref v4, ref v9, ref v14, m1, m9);

        // Round 6: sigma[6] = 12 5 1 15 14 13 4 10 0 7 6 3 9 2 8 11
        G(ref v0, ref v4, ref v8, ref v12, m12, m5);
        G(ref v1, ref v5, ref v9, ref v13, m1, m15);
        G(ref v2, ref v6, ref v10, ref v14, m14, m13);
        G(ref v3, ref v7, ref v11, ref v15, m4, m10);
        G(ref v0, ref v5, ref v10, ref v15, m0, m7);
        G(ref v1, ref v6, ref v11, ref v12, m6, m3);
        G(ref v2, ref v7, ref v8, ref v13, m9, m2);
        G(ref v3, ref v4, ref v9, ref v14, m8, m11);

        // Round 7: sigma[7] = 13 11 7 14 12 1 3 9 5 0 15 4 8 6 2 10
        G(ref v0, ref v4, ref v8, ref v12, m13, m11);
        G(ref v1, ref v5, ref v9, ref v13, m7, m14);
        G(ref v2, ref v6, ref v10, ref v14, m12, m1);
        G(ref v3, ref v7, ref v11, ref v15, m3, m9);
        G(ref v0, ref v5, ref v10, ref v15, m5, m0);
        G(ref v1, ref v6, ref v11, ref v12, m15, m4);
        G(ref v2, ref v7, ref v8, ref v13, m8, m6);
        G(ref v3, ref v4, ref v9, ref v14, m2, m10);

        // Round 8: sigma[8] = 6 15 14 9 11 3 0 8 12 2 13 7 1 4 10 5
        G(ref v0, ref v4, ref v8, ref v12, m6, m15);
        G(ref v1, ref v5, ref v9, ref v13, m14, m9);
        G(ref v2, ref v6, ref v10, ref v14, m11, m3);
        G(ref v3, ref v7, ref v11, ref v15, m0, m8);
        G(ref v0, ref v5, ref v10, ref v15, m12, m2);
        G(ref v1, ref v6, ref v11, ref v12, m13, m7);
        G(ref v2, ref v7, ref v8, ref v13, m1, m4);
        G(ref v3, ref v4, ref v9, ref v14, m10, m5);

        // Round 9: sigma[9] = 10 2 8 4 7 6 1 5 15 11 9 14 3 12 13 0
        G(ref v0, ref v4, ref v8, ref v12, m10, m2);
        G(ref v1, ref v5, ref v9, ref v13, m8, m4);
        G(ref v2, ref v6, ref v10, ref v14, m7, m6);
        G(ref v3, ref v7, ref v11, ref v15, m1, m5);
        G(ref v0, ref v5, ref v10, ref v15, m15, m11);
        G(ref v1, ref v6, ref v11, ref v12, m9, m14);
        G(ref v2, ref v7, ref v8, ref v13, m3, m12);
        G(ref v3, ref v4, ref v9, ref v14, m13, m0);

        h[0] = h0 ^ v0 ^ v8;
        h[1] = h1 ^ v1 ^ v9;
        h[2] = h2 ^ v2 ^ v10;
        h[3] = h3 ^ v3 ^ v11;
        h[4] = h4 ^ v4 ^ v12;
        h[5] = h5 ^ v5 ^ v13;
        h[6] = h6 ^ v6 ^ v14;
        h[7] = h7 ^ v7 ^ v15;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Word(ref byte block, int index)
    {
        uint w = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref block, 4 * index));
        return BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w);
    }

    /// <summary>RFC 7693 §3.1 mixing function G with BLAKE2s rotations (16, 12, 8, 7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(ref uint a, ref uint b, ref uint c, ref uint d, uint x, uint y)
    {
        a = a + b + x;
        d = BitOperations.RotateRight(d ^ a, 16);
        c += d;
        b = BitOperations.RotateRight(b ^ c, 12);
        a = a + b + y;
        d = BitOperations.RotateRight(d ^ a, 8);
        c += d;
        b = BitOperations.RotateRight(b ^ c, 7);
    }

    [InlineArray(8)]
    private struct State8
    {
        private uint _element0;
    }

    [InlineArray(BlockSize)]
    private struct Block64
    {
        private byte _element0;
    }
}
