using System.Security.Cryptography;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Messages;

namespace Overlay.Protocol.Noise;

/// <summary>
/// Sender side of mac1/mac2 for one remote peer (whitepaper §5.4.4, §5.4.7; wireguard-go
/// <c>CookieGenerator</c>; reference/wireguard.md §1.6):
/// mac1 = MAC(HASH(LABEL_MAC1 ‖ S_peer), msg[0:len−32]); mac2 = MAC(cookie, msg[0:len−16]) only while a
/// cookie from a cookie reply is younger than COOKIE_REFRESH_TIME (120 s), else zeros. It remembers the last
/// mac1 it sent, because a cookie reply is encrypted with that mac1 as associated data.
/// Times are <see cref="TimeProvider"/> timestamps.
/// </summary>
public sealed class CookieGenerator
{
    private readonly byte[] _mac1Key = new byte[32];
    private readonly byte[] _cookieKey = new byte[32];
    private readonly byte[] _lastMac1 = new byte[16];
    private readonly byte[] _cookie = new byte[16];
    private bool _hasLastMac1;
    private bool _hasCookie;
    private long _cookieBirth;

    public CookieGenerator(ReadOnlySpan<byte> peerPublic)
    {
        NoiseConstants.Mac1Key(peerPublic, _mac1Key);
        NoiseConstants.CookieKey(peerPublic, _cookieKey);
    }

    internal ReadOnlySpan<byte> Mac1Key => _mac1Key;
    internal ReadOnlySpan<byte> Cookie => _cookie;
    public bool HasCookie => _hasCookie;
    public bool HasLastMac1 => _hasLastMac1;

    /// <summary>Fills mac1 and mac2 of a type-1 or type-2 message in place.</summary>
    public void AddMacs(Span<byte> message, long now, long cookieLifetime)
    {
        int mac1At = MessageLayout.Mac1Offset(message.Length);
        int mac2At = MessageLayout.Mac2Offset(message.Length);
        Span<byte> mac1 = message.Slice(mac1At, 16);
        Blake2s.Mac(_mac1Key, message[..mac1At], mac1);
        mac1.CopyTo(_lastMac1);
        _hasLastMac1 = true;

        Span<byte> mac2 = message.Slice(mac2At, 16);
        if (_hasCookie && now - _cookieBirth < cookieLifetime)
            Blake2s.Mac(_cookie, message[..mac2At], mac2);
        else
            mac2.Clear();
    }

    /// <summary>
    /// Decrypts a cookie reply: XAEAD(HASH(LABEL_COOKIE ‖ S_peer), nonce, cookie, ad = last mac1). Stores
    /// the cookie with its birth time; the next (re)transmission carries mac2. False if no mac1 was sent or
    /// the reply does not authenticate.
    /// </summary>
    public bool ConsumeReply(ReadOnlySpan<byte> reply, long now)
    {
        if (!_hasLastMac1) return false;
        Span<byte> cookie = stackalloc byte[16];
        bool ok = XChaChaPoly.Open(_cookieKey,
            reply.Slice(MessageLayout.CookieNonceOffset, MessageLayout.CookieNonceLength),
            reply.Slice(MessageLayout.CookieEncryptedOffset, MessageLayout.CookieEncryptedLength),
            _lastMac1, cookie);
        if (!ok) return false;
        cookie.CopyTo(_cookie);
        _hasCookie = true;
        _cookieBirth = now;
        CryptographicOperations.ZeroMemory(cookie);
        return true;
    }
}
