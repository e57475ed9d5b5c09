using System.Security.Cryptography;

namespace Overlay.Protocol.Config;

/// <summary>
/// Text forms of the 32-byte keys the config and the tools use. A WireGuard key is
/// standard base64 of 32 bytes: 44 characters ending in one '=' (wg(8), "genkey").
/// A link PSK is accepted as 64 hex characters (Subnetra's form) or as the same 44-character
/// base64 WireGuard uses for PresharedKey, so a key pasted from either tool works.
/// </summary>
public static class KeyEncoding
{
    public const int KeyLength = 32;
    public const int Base64KeyLength = 44;
    public const int HexKeyLength = 64;

    /// <summary>Parses a PSK: 64 hex characters or 44-character base64, both 32 bytes.</summary>
    public static bool TryParsePsk(string? text, out byte[] key, out string error)
    {
        key = Array.Empty<byte>();
        if (string.IsNullOrEmpty(text))
        {
            error = "must be 64 hex characters or 44-character base64 (32 bytes); got an empty value";
            return false;
        }
        if (text.Trim().Length != text.Length)
        {
            // A pasted key often brings a space or newline along; say so instead of "got 65 characters".
            error = $"has leading or trailing whitespace; remove it (the key without it is {text.Trim().Length} characters)";
            return false;
        }
        if (text.Length == HexKeyLength)
        {
            if (TryParseHex(text, out key)) { error = ""; return true; }
            error = "64 characters but not all hex digits; expected 64 hex characters (32 bytes)";
            return false;
        }
        if (text.Length == Base64KeyLength)
        {
            if (TryParseBase64Key(text, out key)) { error = ""; return true; }
            error = "44 characters but not base64 of 32 bytes";
            return false;
        }
        error = $"must be 64 hex characters or 44-character base64 (32 bytes); got {text.Length} characters";
        return false;
    }

    /// <summary>Parses a WireGuard base64 key (44 characters, 32 bytes).</summary>
    public static bool TryParseBase64Key(string? text, out byte[] key)
    {
        key = Array.Empty<byte>();
        if (text is null || text.Length != Base64KeyLength || text[^1] != '=' || text[^2] == '=')
            return false;
        Span<byte> buf = stackalloc byte[33];
        if (!Convert.TryFromBase64String(text, buf, out int n) || n != KeyLength)
            return false;
        key = buf[..KeyLength].ToArray();
        CryptographicOperations.ZeroMemory(buf);
        return true;
    }

    /// <summary>Formats 32 bytes as WireGuard base64.</summary>
    public static string FormatBase64Key(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength) throw new ArgumentException("key must be 32 bytes", nameof(key));
        return Convert.ToBase64String(key);
    }

    /// <summary>Lower-case hex, as Subnetra prints PSKs.</summary>
    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Parses an even-length hex string (either case).</summary>
    public static bool TryParseHex(string text, out byte[] bytes)
    {
        bytes = Array.Empty<byte>();
        if (text.Length % 2 != 0) return false;
        foreach (char c in text)
            if (!char.IsAsciiHexDigit(c)) return false;
        bytes = Convert.FromHexString(text);
        return true;
    }

    /// <summary>True when every byte is zero (an all-zero PSK or key is refused).</summary>
    public static bool IsAllZero(ReadOnlySpan<byte> key) => !key.ContainsAnyExcept((byte)0);
}
