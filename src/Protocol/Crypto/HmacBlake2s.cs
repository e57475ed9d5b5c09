using System.Security.Cryptography;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// HMAC (RFC 2104) over BLAKE2s-256: block 64 bytes, output 32 bytes. This is WireGuard's
/// HMAC (whitepaper §5.4), the building block of its KDF; it is distinct from the keyed
/// BLAKE2s <see cref="Blake2s.Mac"/>. Allocation-free; the output may alias any input.
/// </summary>
public static class HmacBlake2s
{
    public const int OutputSize = 32;

    private const byte InnerPad = 0x36;
    private const byte OuterPad = 0x5c;

    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> output32) =>
        Compute(key, data, default, output32);

    /// <summary>HMAC(key, data1 ‖ data2) without concatenating into a buffer.</summary>
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data1, ReadOnlySpan<byte> data2, Span<byte> output32)
    {
        if (output32.Length < OutputSize)
        {
            throw new ArgumentException($"Output must hold {OutputSize} bytes.", nameof(output32));
        }

        // RFC 2104 §2: a key longer than the block is first hashed; shorter keys are zero-padded.
        Span<byte> innerKey = stackalloc byte[Blake2s.BlockSize];
        Span<byte> outerKey = stackalloc byte[Blake2s.BlockSize];
        innerKey.Clear();
        if (key.Length > Blake2s.BlockSize)
        {
            Blake2s.Hash(key, innerKey);
        }
        else
        {
            key.CopyTo(innerKey);
        }

        for (int i = 0; i < Blake2s.BlockSize; i++)
        {
            byte k = innerKey[i];
            innerKey[i] = (byte)(k ^ InnerPad);
            outerKey[i] = (byte)(k ^ OuterPad);
        }

        // The key is fully read into the pads above and the data below before output32 is written.
        Span<byte> innerHash = stackalloc byte[OutputSize];
        var inner = new Blake2s(OutputSize);
        inner.Update(innerKey);
        inner.Update(data1);
        inner.Update(data2);
        inner.Final(innerHash);

        var outer = new Blake2s(OutputSize);
        outer.Update(outerKey);
        outer.Update(innerHash);
        outer.Final(output32);

        CryptographicOperations.ZeroMemory(innerKey);
        CryptographicOperations.ZeroMemory(outerKey);
        CryptographicOperations.ZeroMemory(innerHash);
    }
}
