using Overlay.Protocol.Crypto;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Noise;

namespace Overlay.Protocol.Tests.Noise;

/// <summary>
/// The self-generated full WireGuard wire-format vector of reference/wireguard.md §3.3 (cacophony keys,
/// indices 0x11223344/0x55667788, TAI64N of 2025-01-01T00:00:00Z), byte for byte through the production
/// message code: initiation, response, intermediate C/H values, transport keys, keepalive, a padded data
/// message, a cookie reply and the mac2 of the re-sent initiation.
/// </summary>
public class WireGuardVectorTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s);
    private static string Lower(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);

    private static readonly byte[] InitPriv = Hex("e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1");
    private static readonly byte[] InitPub = Hex("6bc3822a2aa7f4e6981d6538692b3cdf3e6df9eea6ed269eb41d93c22757b75a");
    private static readonly byte[] InitEph = Hex("893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a");
    private static readonly byte[] RespPriv = Hex("4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893");
    private static readonly byte[] RespPub = Hex("31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62");
    private static readonly byte[] RespEph = Hex("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b");
    private static readonly byte[] Psk = Hex("54686973206973206d7920417573747269616e20706572737065637469766521");
    private static readonly byte[] Timestamp = Hex("400000006774858a00000000");
    private const uint InitIndex = 0x11223344;
    private const uint RespIndex = 0x55667788;

    private const string Msg1 =
        "0100000044332211ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944001e21de9f98ddd8e2ad57527207feb5" +
        "6253c9c94a9e496782ecfcb2a75fbcaf752d6cf9956f6a4cc1a138d6de1e87238cbd2c462f4c81bd84c83619b9fa84df8f245343f9e8e6" +
        "646f1c677fa3a58bf8bbd721ec421b8720095a860700000000000000000000000000000000";
    private const string Msg2 =
        "02000000887766554433221195ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843f9425c941c807c2408e14e" +
        "bbb503f5e72effcbeb2d394c0bc352a052d934af2f00000000000000000000000000000000";
    private const string Keepalive = "040000008877665500000000000000007b10d7058fd6195d3ef4f80e0a625b8b";
    private const string DataPlain = "4500001400004000400126e70a0000010a000002";
    private const string Data =
        "04000000443322110100000000000000dfb621b1bc096810e776c9fe77d6652976cd47fc93ab91938ff2c76f328a15dabcaa8ebe5d568b" +
        "0124d5a5a7bb087077";
    private const string CookieReply =
        "0300000044332211606162636465666768696a6b6c6d6e6f7071727374757677fb262c766693914c205b3ad0d7cadf" +
        "6862ec9614a3676375b686bfd4fe14a25c";

    [Fact]
    public void InitialValues_Construction_MatchReference()
    {
        Assert.Equal("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36", Lower(NoiseConstants.InitialChainKey));
        Assert.Equal("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3", Lower(NoiseConstants.InitialHash));
        var ck = new byte[32];
        var h = new byte[32];
        NoiseIK.InitializeWireGuard(RespPub, ck, h);
        Assert.Equal("a9f77c015fcfea334f85d970f2a3a236933390e7ee79dc23af7bf87ac348aeb5", Lower(h));
    }

    [Fact]
    public void KeyDerivation_VectorKeys_PublicKeysAndMacKeysMatch()
    {
        var pub = new byte[32];
        X25519.DerivePublicKey(InitPriv, pub);
        Assert.Equal(InitPub, pub);
        X25519.DerivePublicKey(RespPriv, pub);
        Assert.Equal(RespPub, pub);
        var key = new byte[32];
        NoiseConstants.Mac1Key(RespPub, key);
        Assert.Equal("49f9a27543e44e87740826853a4d1090a5e4b149ddc1096b9ff31db725d4f4ce", Lower(key));
        NoiseConstants.Mac1Key(InitPub, key);
        Assert.Equal("52027a3699e02dc5d13e5bb2732302760fd6f33d1cd9eb1505ecb22778105e62", Lower(key));
        NoiseConstants.CookieKey(RespPub, key);
        Assert.Equal("6d3aeef16e9251e8a904ae3a8926c7828239871061752e0e34bf1bd59c7d1623", Lower(key));
    }

    [Fact]
    public void FullExchange_ReferenceVector_EveryMessageByteForByte()
    {
        // Initiator creates message 1.
        var ssI = new byte[32];
        Assert.True(X25519.SharedSecret(InitPriv, RespPub, ssI));
        var ckI = new byte[32];
        var hI = new byte[32];
        var msg1 = new byte[MessageLayout.InitiationSize];
        Assert.True(HandshakeMessages.CreateInitiation(msg1, InitIndex, InitEph, InitPub, RespPub, ssI, Timestamp, ckI, hI));
        var initiatorMacs = new CookieGenerator(RespPub);
        initiatorMacs.AddMacs(msg1, now: 0, cookieLifetime: 120);
        Assert.Equal(Msg1, Lower(msg1));
        Assert.Equal("6eaa7c1429137171870245587d78b1c533b57140a829eb7490f5ed9ca665af2a", Lower(ckI));
        Assert.Equal("9101e7902dc85a29a62b6127b9ce5d81ec5c517c3855b285bae4e5af549c0f05", Lower(hI));
        Assert.Equal(MessageType.HandshakeInitiation, MessageLayout.Classify(msg1));

        // Responder consumes it.
        var ckR = new byte[32];
        var hR = new byte[32];
        var re = new byte[32];
        var rs = new byte[32];
        var ts = new byte[12];
        Assert.True(HandshakeMessages.ConsumeInitiationStatic(msg1, RespPriv, RespPub, ckR, hR, re, rs));
        Assert.Equal(InitPub, rs);
        var ssR = new byte[32];
        Assert.True(X25519.SharedSecret(RespPriv, rs, ssR));
        Assert.True(HandshakeMessages.ConsumeInitiationTimestamp(msg1, ssR, ckR, hR, ts));
        Assert.Equal(Timestamp, ts);
        Assert.Equal(ckI, ckR);
        Assert.Equal(hI, hR);

        // Responder creates message 2.
        var msg2 = new byte[MessageLayout.ResponseSize];
        Assert.True(HandshakeMessages.CreateResponse(msg2, RespIndex, InitIndex, RespEph, re, rs, Psk, ckR, hR));
        new CookieGenerator(InitPub).AddMacs(msg2, now: 0, cookieLifetime: 120);
        Assert.Equal(Msg2, Lower(msg2));
        Assert.Equal("4924ae2e7b2053a0248d6c532aff38d9e3601da3f5a793e20c0adbcebd80c1dc", Lower(ckR));
        Assert.Equal("fbb1a312ac16323cc220472eebd66797560535c836a4cdbedabb3c08012a29ce", Lower(hR));

        // Initiator consumes it; both derive the transport keys.
        Assert.True(HandshakeMessages.ConsumeResponse(msg2, InitEph, InitPriv, Psk, ckI, hI));
        Assert.Equal(ckR, ckI);
        var iSend = new byte[32];
        var iRecv = new byte[32];
        var rSend = new byte[32];
        var rRecv = new byte[32];
        HandshakeMessages.DeriveKeys(ckI, isInitiator: true, iSend, iRecv);
        HandshakeMessages.DeriveKeys(ckR, isInitiator: false, rSend, rRecv);
        Assert.Equal("7a74d0adaa1882492a8eddc15272b5a5a230e111d86d430a5988596f2c4238ae", Lower(iSend));
        Assert.Equal("4dd78ec86daaa1034639ed326df9afecc3c47a881689e2a9f37a5e55a8131a2d", Lower(iRecv));
        Assert.Equal(iSend, rRecv);
        Assert.Equal(iRecv, rSend);

        // Keepalive initiator -> responder, counter 0.
        var frame = new byte[64];
        int n = TransportMessages.Seal(frame, 0, 1420, iSend, RespIndex, 0);
        Assert.Equal(Keepalive, Lower(frame.AsSpan(0, n)));
        Assert.True(TransportMessages.Open(frame.AsSpan(0, n), rRecv, 0, out int plain));
        Assert.Equal(0, plain);

        // Data responder -> initiator, counter 1: 20-byte IPv4 header padded to 32.
        frame = new byte[16 + 20 + 15 + 16];
        Hex(DataPlain).CopyTo(frame, 16);
        n = TransportMessages.Seal(frame, 20, 1420, rSend, InitIndex, 1);
        Assert.Equal(Data, Lower(frame.AsSpan(0, n)));
        Assert.True(TransportMessages.Open(frame.AsSpan(0, n), iRecv, 1, out plain));
        Assert.Equal(32, plain);
        Assert.Equal(DataPlain + new string('0', 24), Lower(frame.AsSpan(16, 32)));
    }

    [Fact]
    public void CookieReply_ReferenceVector_ReplyAndMac2Match()
    {
        byte[] msg1 = Hex(Msg1);
        // The vector's source bytes are c0000201 6cca; UdpEndpoint writes the port big-endian, so port 0x6cca.
        var source = new UdpEndpoint([192, 0, 2, 1], 0x6cca);
        byte[] secret = Enumerable.Range(0xa0, 32).Select(i => (byte)i).ToArray();
        byte[] nonce = Enumerable.Range(0x60, 24).Select(i => (byte)i).ToArray();

        var checker = new CookieChecker(secretLifetime: 120);
        checker.SetSecret(secret, now: 0);
        var cookie = new byte[16];
        checker.ComputeCookie(source, 0, cookie);
        Assert.Equal("9228f680f426f6e880206a0119ea5506", Lower(cookie));

        var cookieKey = new byte[32];
        NoiseConstants.CookieKey(RespPub, cookieKey);
        var reply = new byte[MessageLayout.CookieReplySize];
        checker.CreateReply(msg1, InitIndex, cookieKey, source, 0, nonce, reply);
        Assert.Equal(CookieReply, Lower(reply));
        Assert.Equal(MessageType.CookieReply, MessageLayout.Classify(reply));

        // The initiator that sent msg1 decrypts the cookie and puts mac2 on the re-sent initiation.
        var generator = new CookieGenerator(RespPub);
        var resend = (byte[])msg1.Clone();
        generator.AddMacs(resend, now: 10, cookieLifetime: 120);     // remembers mac1
        Assert.Equal(msg1, resend);
        Assert.True(generator.ConsumeReply(reply, now: 10));
        Assert.Equal(cookie, generator.Cookie.ToArray());
        generator.AddMacs(resend, now: 20, cookieLifetime: 120);
        Assert.Equal("ab1af63bd3f5866a0d55b7a1dc571e09", Lower(resend.AsSpan(132, 16)));
        Assert.True(checker.CheckMac2(resend, source, 0));
        Assert.False(checker.CheckMac2(msg1, source, 0));

        // After COOKIE_REFRESH_TIME the cookie is stale: mac2 goes back to zeros.
        generator.AddMacs(resend, now: 10 + 120, cookieLifetime: 120);
        Assert.True(resend.AsSpan(132, 16).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void ConsumeReply_WrongMac1AsAssociatedData_ReturnsFalse()
    {
        byte[] msg1 = Hex(Msg1);
        var source = new UdpEndpoint([192, 0, 2, 1], 0x6cca);
        var checker = new CookieChecker(120);
        checker.SetSecret(new byte[32], 0);
        var cookieKey = new byte[32];
        NoiseConstants.CookieKey(RespPub, cookieKey);
        var reply = new byte[64];
        checker.CreateReply(msg1, InitIndex, cookieKey, source, 0, new byte[24], reply);
        var generator = new CookieGenerator(RespPub);
        Assert.False(generator.ConsumeReply(reply, 0));          // no mac1 sent yet
        var other = (byte[])msg1.Clone();
        other[20] ^= 1;                                         // different message => different mac1
        generator.AddMacs(other, 0, 120);
        Assert.False(generator.ConsumeReply(reply, 0));
    }
}
