using System.Security.Cryptography;

namespace Overlay.Protocol.Crypto;

/// <summary>
/// WireGuard's KDF_n (whitepaper §5.4; Noise spec §4.3 HKDF): HKDF with HMAC-BLAKE2s, the
/// chaining key as the HMAC key of the extract step and no info string:
/// t0 = HMAC(ck, input); T1 = HMAC(t0, 0x01); T2 = HMAC(t0, T1 ‖ 0x02); T3 = HMAC(t0, T2 ‖ 0x03).
/// Every output is 32 bytes. Outputs are computed into stack temporaries and copied at the
/// end, so an output may alias the chaining key or the input (e.g. Kdf1(ck, x, ck)).
/// </summary>
public static class Kdf
{
    public const int OutputSize = 32;

    public static void Kdf1(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> input, Span<byte> t1)
    {
        CheckOutput(t1, nameof(t1));
        Span<byte> t = stackalloc byte[OutputSize];
        Derive(chainingKey, input, t, default, default);
        t.CopyTo(t1);
        CryptographicOperations.ZeroMemory(t);
    }

    public static void Kdf2(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> input, Span<byte> t1, Span<byte> t2)
    {
        CheckOutput(t1, nameof(t1));
        CheckOutput(t2, nameof(t2));
        Span<byte> t = stackalloc byte[2 * OutputSize];
        Derive(chainingKey, input, t[..OutputSize], t[OutputSize..], default);
        t[..OutputSize].CopyTo(t1);
        t[OutputSize..].CopyTo(t2);
        CryptographicOperations.ZeroMemory(t);
    }

    public static void Kdf3(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> input, Span<byte> t1, Span<byte> t2, Span<byte> t3)
    {
        CheckOutput(t1, nameof(t1));
        CheckOutput(t2, nameof(t2));
        CheckOutput(t3, nameof(t3));
        Span<byte> t = stackalloc byte[3 * OutputSize];
        Derive(chainingKey, input, t[..OutputSize], t.Slice(OutputSize, OutputSize), t[(2 * OutputSize)..]);
        t[..OutputSize].CopyTo(t1);
        t.Slice(OutputSize, OutputSize).CopyTo(t2);
        t[(2 * OutputSize)..].CopyTo(t3);
        CryptographicOperations.ZeroMemory(t);
    }

    // Writes T1, and T2/T3 when those spans are non-empty. All spans are private temporaries.
    private static void Derive(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> input, Span<byte> t1, Span<byte> t2, Span<byte> t3)
    {
        Span<byte> t0 = stackalloc byte[OutputSize];
        Span<byte> counter = stackalloc byte[1];
        HmacBlake2s.Compute(chainingKey, input, t0);

        counter[0] = 1;
        HmacBlake2s.Compute(t0, counter, t1);
        if (!t2.IsEmpty)
        {
            counter[0] = 2;
            HmacBlake2s.Compute(t0, t1, counter, t2);
        }

        if (!t3.IsEmpty)
        {
            counter[0] = 3;
            HmacBlake2s.Compute(t0, t2, counter, t3);
        }

        CryptographicOperations.ZeroMemory(t0);
    }

    private static void CheckOutput(Span<byte> output, string name)
    {
        if (output.Length < OutputSize)
        {
            throw new ArgumentException($"Must hold {OutputSize} bytes.", name);
        }
    }
}
