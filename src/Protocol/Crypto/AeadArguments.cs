namespace Overlay.Protocol.Crypto;

/// <summary>
/// Argument rules shared by <see cref="ChaChaPoly"/> and <see cref="XChaChaPoly"/>. Wrong
/// sizes here are caller bugs (the engine sizes every buffer), so they throw; data that fails
/// to authenticate is not a bug and is reported by Open returning false.
/// </summary>
internal static class AeadArguments
{
    internal const int KeySize = 32;
    internal const int TagSize = 16;

    internal static void CheckSeal(int keyLength, int nonceLength, int expectedNonce, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        CheckKeyAndNonce(keyLength, nonceLength, expectedNonce);
        if (destination.Length < plaintext.Length + TagSize)
        {
            throw new ArgumentException("Destination must hold the plaintext plus the 16-byte tag.", nameof(destination));
        }

        CheckOverlap(plaintext, destination);
    }

    internal static void CheckOpen(int keyLength, int nonceLength, int expectedNonce, ReadOnlySpan<byte> ciphertextAndTag, Span<byte> destination)
    {
        CheckKeyAndNonce(keyLength, nonceLength, expectedNonce);
        if (ciphertextAndTag.Length >= TagSize && destination.Length < ciphertextAndTag.Length - TagSize)
        {
            throw new ArgumentException("Destination must hold the ciphertext minus the 16-byte tag.", nameof(destination));
        }

        CheckOverlap(ciphertextAndTag, destination);
    }

    private static void CheckKeyAndNonce(int keyLength, int nonceLength, int expectedNonce)
    {
        if (keyLength != KeySize)
        {
            throw new ArgumentException($"Key must be {KeySize} bytes.", "key");
        }

        if (nonceLength != expectedNonce)
        {
            throw new ArgumentException($"Nonce must be {expectedNonce} bytes.", "nonce");
        }
    }

    // libsodium supports exact in-place operation (same start address) but not a shifted
    // overlap: the stream cipher would overwrite input it has not read yet.
    private static void CheckOverlap(ReadOnlySpan<byte> input, Span<byte> destination)
    {
        if (input.Overlaps(destination, out int offset) && offset != 0)
        {
            throw new ArgumentException("Destination may start at the input's address (in place) but must not otherwise overlap it.", nameof(destination));
        }
    }
}
