using System.Security.Cryptography;

namespace Overlay.Protocol.Sessions;

/// <summary>
/// One transport session derived by a completed handshake (whitepaper §5.4.5 "Transport Data Key
/// Derivation"): send and receive keys, the send counter, the receive replay window, both indices,
/// the birth timestamp (for REKEY/REJECT_AFTER_TIME) and whether this side initiated (only the initiator
/// rekeys on time). Keys are zeroed when the keypair is retired.
/// </summary>
public sealed class Keypair
{
    internal readonly byte[] SendKey = new byte[32];
    internal readonly byte[] ReceiveKey = new byte[32];
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
        sendKey.CopyTo(SendKey);
        receiveKey.CopyTo(ReceiveKey);
        IsInitiator = isInitiator;
        LocalIndex = localIndex;
        RemoteIndex = remoteIndex;
        Birth = birth;
        Owner = owner;
    }

    public ulong MessagesSent => SendCounter;

    internal void Zero()
    {
        CryptographicOperations.ZeroMemory(SendKey);
        CryptographicOperations.ZeroMemory(ReceiveKey);
        SendCounter = ulong.MaxValue;
        Replay.Reset();
        IsZeroed = true;
    }
}
