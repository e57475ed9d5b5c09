using Overlay.Protocol.Sessions;
using Overlay.Protocol.Timers;

namespace Overlay.Protocol.Tests.Sessions;

/// <summary>
/// The numbered replay table ported from the kernel's counter self-test (as carried by wireguard-go
/// replay/replay_test.go): rows 1-34 are that table's cases in order (8128-counter window, limit
/// REJECT_AFTER_MESSAGES); edge cases of our own follow. Each row runs the pre-check and the mark in
/// sequence, as the engine does around decryption.
/// </summary>
public class ReplayWindowTests
{
    private const ulong W = ReplayWindow.WindowSize;   // 8128
    private const ulong Lim = W + 1;
    private const ulong Rej = ProtocolTimes.RejectAfterMessages;

    public static TheoryData<ulong[], bool[]> Tables() => new()
    {
        {
            // Rows 1–34, one sequence against one window.
            [
                0, 1, 1, 9, 8, 7, 7, Lim, Lim - 1, Lim - 1, Lim - 2, 2, 2, Lim + 16, 3, Lim + 16,
                Lim * 4, Lim * 4 - (Lim - 1), 10, Lim * 4 - Lim, Lim * 4 - (Lim + 1), Lim * 4 - (Lim - 2),
                Lim * 4 + 1 - Lim, 0,
                Rej, Rej - 1, Rej, Rej - 1, Rej - 2, Rej + 1, Rej + 2, Rej - 2, Rej - 3, 0,
            ],
            [
                true, true, false, true, true, true, false, true, true, false, true, true, false, true, false, false,
                true, true, false, false, false, true,
                false, false,
                false, true, false, false, true, false, false, false, true, false,
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public void CheckThenMark_NumberedTable_EachRowAsExpected(ulong[] counters, bool[] expected)
    {
        var window = new ReplayWindow();
        for (int i = 0; i < counters.Length; i++)
        {
            bool accepted = window.CanAccept(counters[i], Rej) && window.Mark(counters[i], Rej);
            Assert.True(expected[i] == accepted, $"row {i + 1}: counter {counters[i]} expected {expected[i]}");
        }
    }

    [Fact]
    public void Mark_FullWindowAscendingThenZero_ZeroStillInside()
    {
        var w = new ReplayWindow();
        for (ulong i = 1; i <= W; i++) Assert.True(w.Mark(i, Rej), $"counter {i}");
        Assert.True(w.Mark(0, Rej));
        Assert.False(w.Mark(0, Rej));
    }

    [Fact]
    public void Mark_WindowPlusOneAscending_ZeroFallsOut()
    {
        var w = new ReplayWindow();
        for (ulong i = 2; i <= W + 1; i++) Assert.True(w.Mark(i, Rej));
        Assert.True(w.Mark(1, Rej));
        Assert.False(w.Mark(0, Rej));
    }

    [Fact]
    public void Mark_Descending_AllAcceptedOnce()
    {
        var w = new ReplayWindow();
        for (ulong i = W + 1; i > 0; i--) Assert.True(w.Mark(i, Rej), $"counter {i}");
        for (ulong i = W + 1; i > 0; i--) Assert.False(w.CanAccept(i, Rej), $"counter {i}");
    }

    [Fact]
    public void CanAccept_Anything_DoesNotMoveWindow()
    {
        var w = new ReplayWindow();
        Assert.True(w.Mark(5, Rej));
        Assert.True(w.CanAccept(1_000_000, Rej));   // a forged far-future counter only pre-checks
        Assert.True(w.Mark(4, Rej));                // so old counters still pass
        Assert.False(w.CanAccept(5, Rej));
    }

    [Fact]
    public void Reset_AfterUse_AcceptsZeroAgain()
    {
        var w = new ReplayWindow();
        Assert.True(w.Mark(0, Rej));
        Assert.True(w.Mark(100_000, Rej));
        w.Reset();
        Assert.True(w.Mark(0, Rej));
    }
}
