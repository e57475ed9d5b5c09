using BenchmarkDotNet.Attributes;
using Overlay.Protocol.Crypto;
using Overlay.Protocol.Messages;
using Overlay.Protocol.Noise;

namespace Overlay.Benchmarks.Noise;

/// <summary>
/// The four Noise IKpsk2 steps of a WireGuard handshake at message level (HandshakeMessages), with
/// fixed keys so every iteration does the same work: X25519 dominates (about 30 µs per DH,
/// dotnet-feasibility.md §1); the initiator's DH(s_i, S_r) is precomputed per peer as the engine does.
/// </summary>
[MemoryDiagnoser]
public class HandshakeBenchmarks
{
    private readonly byte[] _iStatic = new byte[32], _iStaticPub = new byte[32];
    private readonly byte[] _rStatic = new byte[32], _rStaticPub = new byte[32];
    private readonly byte[] _iEph = new byte[32], _rEph = new byte[32];
    private readonly byte[] _staticStatic = new byte[32];
    private readonly byte[] _psk = new byte[32];
    private readonly byte[] _timestamp = new byte[Tai64N.Size];
    private readonly byte[] _initiation = new byte[MessageLayout.InitiationSize];
    private readonly byte[] _response = new byte[MessageLayout.ResponseSize];
    private readonly byte[] _ck = new byte[32], _h = new byte[32];
    private readonly byte[] _ckAfterInit = new byte[32], _hAfterInit = new byte[32];
    private readonly byte[] _ckResp = new byte[32], _hResp = new byte[32];
    private readonly byte[] _remoteEph = new byte[32], _remoteStatic = new byte[32];
    private readonly byte[] _scratch = new byte[MessageLayout.InitiationSize];

    [GlobalSetup]
    public void Setup()
    {
        X25519.GeneratePrivateKey(_iStatic);
        X25519.GeneratePrivateKey(_rStatic);
        X25519.GeneratePrivateKey(_iEph);
        X25519.GeneratePrivateKey(_rEph);
        X25519.DerivePublicKey(_iStatic, _iStaticPub);
        X25519.DerivePublicKey(_rStatic, _rStaticPub);
        X25519.SharedSecret(_iStatic, _rStaticPub, _staticStatic);
        for (int i = 0; i < 32; i++) _psk[i] = (byte)i;
        Tai64N.Write(DateTimeOffset.UtcNow, _timestamp);
        if (!CreateInitiation()) throw new InvalidOperationException("initiation");
        _initiation.AsSpan().CopyTo(_scratch);
        _ck.CopyTo(_ckAfterInit, 0);
        _h.CopyTo(_hAfterInit, 0);
        if (!ConsumeInitiation()) throw new InvalidOperationException("consume initiation");
        _ck.CopyTo(_ckResp, 0);
        _h.CopyTo(_hResp, 0);
        if (!CreateResponse()) throw new InvalidOperationException("response");
        if (!ConsumeResponse()) throw new InvalidOperationException("consume response");
    }

    /// <summary>Initiator: message 1 (two DH: e·S_r, and the precomputed s·S_r is reused).</summary>
    [Benchmark]
    public bool CreateInitiation() =>
        HandshakeMessages.CreateInitiation(_initiation, 1, _iEph, _iStaticPub, _rStaticPub, _staticStatic, _timestamp, _ck, _h);

    /// <summary>Responder: decrypt the static key (DH s_r·E_i), DH s_r·S_i, decrypt the timestamp.</summary>
    [Benchmark]
    public bool ConsumeInitiation()
    {
        if (!HandshakeMessages.ConsumeInitiationStatic(_scratch, _rStatic, _rStaticPub, _ck, _h, _remoteEph, _remoteStatic))
            return false;
        Span<byte> ss = stackalloc byte[32];
        X25519.SharedSecret(_rStatic, _remoteStatic, ss);
        Span<byte> ts = stackalloc byte[Tai64N.Size];
        return HandshakeMessages.ConsumeInitiationTimestamp(_scratch, ss, _ck, _h, ts);
    }

    /// <summary>Responder: message 2 (DH e_r·E_i and e_r·S_i, psk mixing).</summary>
    [Benchmark]
    public bool CreateResponse()
    {
        _ckResp.CopyTo(_ck, 0);
        _hResp.CopyTo(_h, 0);
        return HandshakeMessages.CreateResponse(_response, 2, 1, _rEph, _remoteEph, _remoteStatic, _psk, _ck, _h);
    }

    /// <summary>Initiator: consume message 2 (DH e_i·E_r and s_i·E_r).</summary>
    [Benchmark]
    public bool ConsumeResponse()
    {
        Span<byte> ck = stackalloc byte[32];
        Span<byte> h = stackalloc byte[32];
        _ckAfterInit.CopyTo(ck);
        _hAfterInit.CopyTo(h);
        return HandshakeMessages.ConsumeResponse(_response, _iEph, _iStatic, _psk, ck, h);
    }
}
