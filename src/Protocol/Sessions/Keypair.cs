using Overlay.Protocol.Crypto;

namespace Overlay.Protocol.Sessions;

/// <summary>
/// One transport session derived by a completed handshake (whitepaper §5.4.5 "Transport Data Key
/// Derivation"): send and receive keys, the send counter, the receive replay window, both indices,
/// the birth timestamp (for REKEY/REJECT_AFTER_TIME) and whether this side initiated (only the initiator
/// rekeys on time). Keys are zeroed when the keypair is retired.
/// Each direction's key carries its AEAD backend (<see cref="ChaChaPolyKey"/>: libsodium for small
/// messages, the framework's OpenSSL for large ones), built here, at handshake time, never per packet,
/// and released by <see cref="Zero"/>.
/// </summary>
public sealed class Keypair
{
    internal readonly ChaChaPolyKey Send;
    internal readonly ChaChaPolyKey Receive;
    internal readonly ReplayWindow Replay = new();
    /// <summary>Next counter to send; equals the number of messages sent.</summary>
    internal ulong SendCounter;

    public uint LocalIndex { get; internal set; }
    public uint RemoteIndex { get; internal set; }
    public long Birth { get; }
    public bool IsInitiator { get; }
    public object? Owner { get; }
    public bool IsZeroed { get; private set; }

    public Keypair(ReadOnlySpan<byte> sendKey, ReadOnlySpan<byte> receiveKey, bool isInitiator,
        uint localIndex, uint remoteIndex, long birth, object? owner)
    {
        Send = new ChaChaPolyKey(sendKey);
        Receive = new ChaChaPolyKey(receiveKey);
        IsInitiator = isInitiator;
        LocalIndex = localIndex;
        RemoteIndex = remoteIndex;
        Birth = birth;
        Owner = owner;
    }

    public ulong MessagesSent => SendCounter;

    /// <summary>The receive key's bytes (all zero once the keypair is zeroed); for tests.</summary>
    internal ReadOnlySpan<byte> ReceiveKey => Receive.Key;

    internal void Zero()
    {
        Send.Dispose();
        Receive.Dispose();
        SendCounter = ulong.MaxValue;
        Replay.Reset();
        IsZeroed = true;
    }
}
