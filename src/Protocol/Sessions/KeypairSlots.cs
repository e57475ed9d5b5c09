namespace Overlay.Protocol.Sessions;

/// <summary>
/// The three keypair slots of a peer and their rotation (reference/wireguard.md §1.4 "Keypair rotation and
/// key confirmation"; wireguard-go <c>BeginSymmetricSession</c>, <c>ReceivedWithKeypair</c>).
/// The initiator uses a new keypair at once; the responder parks it in <see cref="Next"/> and must not send
/// with it until the first transport message under it proves the initiator has it too.
/// Retired keypairs are handed to <paramref name="retire"/> so the owner can free the index and zero keys.
/// </summary>
public sealed class KeypairSlots
{
    public Keypair? Current { get; private set; }
    public Keypair? Previous { get; private set; }
    public Keypair? Next { get; private set; }

    /// <summary>Installs a freshly derived keypair according to who initiated.</summary>
    public void Install(Keypair keypair, Action<Keypair> retire)
    {
        if (keypair.IsInitiator)
        {
            if (Next is not null)
            {
                // An unconfirmed next becomes previous (it may still receive), current is dropped.
                Retire(Previous, retire);
                Previous = Next;
                Next = null;
                Retire(Current, retire);
            }
            else
            {
                Retire(Previous, retire);
                Previous = Current;
            }
            Current = keypair;
        }
        else
        {
            Retire(Next, retire);
            Next = keypair;
            Retire(Previous, retire);
            Previous = null;
        }
    }

    /// <summary>
    /// Called after a transport message authenticated under <paramref name="keypair"/>. Promotes
    /// <see cref="Next"/> to current when it is the one used; returns true on promotion (handshake complete).
    /// </summary>
    public bool ReceivedWith(Keypair keypair, Action<Keypair> retire)
    {
        if (!ReferenceEquals(Next, keypair)) return false;
        Retire(Previous, retire);
        Previous = Current;
        Current = Next;
        Next = null;
        return true;
    }

    public void Clear(Action<Keypair> retire)
    {
        Retire(Current, retire);
        Retire(Previous, retire);
        Retire(Next, retire);
        Current = Previous = Next = null;
    }

    private static void Retire(Keypair? keypair, Action<Keypair> retire)
    {
        if (keypair is not null) retire(keypair);
    }
}
