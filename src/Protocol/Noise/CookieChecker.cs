using System.Security.Cryptography;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Messages;

namespace Overlay.Protocol.Noise;

/// <summary>
/// Responder side of the cookie mechanism (whitepaper §5.4.7; kernel <c>cookie.c</c>; reference/wireguard.md §1.6).
/// cookie = MAC(secret, source) where source is <see cref="UdpEndpoint.WriteCookieSource"/> (address ‖ port BE)
/// and secret is 32 random bytes regenerated when older than 120 s. A cookie reply carries
/// XAEAD(HASH(LABEL_COOKIE ‖ S_local), random 24-byte nonce, cookie, ad = mac1 of the offending message).
/// One checker serves every local identity: the secret is node-wide, the encryption key is per identity.
/// </summary>
public sealed class CookieChecker
{
    private readonly byte[] _secret = new byte[32];
    private long _secretBirth;
    private bool _hasSecret;
    private readonly long _secretLifetime;

    /// <param name="secretLifetime">COOKIE_REFRESH_TIME in timestamp units.</param>
    public CookieChecker(long secretLifetime) => _secretLifetime = secretLifetime;

    /// <summary>Installs a known secret (test vectors) born at <paramref name="now"/>.</summary>
    internal void SetSecret(ReadOnlySpan<byte> secret, long now)
    {
        secret.CopyTo(_secret);
        _secretBirth = now;
        _hasSecret = true;
    }

    public void ComputeCookie(in UdpEndpoint source, long now, Span<byte> cookie16)
    {
        if (!_hasSecret || now - _secretBirth >= _secretLifetime)
        {
            RandomNumberGenerator.Fill(_secret);
            _secretBirth = now;
            _hasSecret = true;
        }
        Span<byte> src = stackalloc byte[18];
        int n = source.WriteCookieSource(src);
        Blake2s.Mac(_secret, src[..n], cookie16);
    }

    /// <summary>True if mac2 of a type-1/2 message equals MAC(cookie(source), msg[0:len−16]), compared in constant time.</summary>
    public bool CheckMac2(ReadOnlySpan<byte> message, in UdpEndpoint source, long now)
    {
        Span<byte> cookie = stackalloc byte[16];
        Span<byte> mac2 = stackalloc byte[16];
        ComputeCookie(source, now, cookie);
        int at = MessageLayout.Mac2Offset(message.Length);
        Blake2s.Mac(cookie, message[..at], mac2);
        return CryptographicOperations.FixedTimeEquals(mac2, message.Slice(at, 16));
    }

    /// <summary>
    /// Writes a 64-byte cookie reply to <paramref name="message"/> (a type-1 or type-2 message received from
    /// <paramref name="source"/>). <paramref name="nonce24"/> is normally random; tests pass a fixed one.
    /// </summary>
    public void CreateReply(ReadOnlySpan<byte> message, uint receiverIndex, ReadOnlySpan<byte> localCookieKey,
        in UdpEndpoint source, long now, ReadOnlySpan<byte> nonce24, Span<byte> reply)
    {
        Span<byte> cookie = stackalloc byte[16];
        ComputeCookie(source, now, cookie);
        MessageLayout.WriteHeader(reply, MessageType.CookieReply);
        MessageLayout.WriteIndex(reply, MessageLayout.CookieReceiverOffset, receiverIndex);
        nonce24.CopyTo(reply.Slice(MessageLayout.CookieNonceOffset, 24));
        ReadOnlySpan<byte> mac1 = message.Slice(MessageLayout.Mac1Offset(message.Length), 16);
        XChaChaPoly.Seal(localCookieKey, nonce24, cookie, mac1,
            reply.Slice(MessageLayout.CookieEncryptedOffset, MessageLayout.CookieEncryptedLength));
    }
}
