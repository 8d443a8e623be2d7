using HierTcn.Inference.Online;

namespace HierTcn.Inference.Tests;

/// <summary>The per-process memory of shown lists: fixed size, oldest overwritten, taken once, expiry.</summary>
public sealed class ShownListsTests
{
    private const long Gap = 1_800_000;

    [Fact]
    public void Take_RememberedList_RankOnceThenNoList()
    {
        var lists = new ShownLists(capacity: 8, listLength: 3);
        Assert.True(lists.Remember(7, "v1", 1000, [10, 20, 30, 40]));
        Assert.Equal(ShownOutcome.Matched, lists.Take(7, 1500, 30, Gap, out string? version, out int rank));
        Assert.Equal(("v1", 3), (version, rank));
        Assert.Equal(ShownOutcome.NoList, lists.Take(7, 1600, 30, Gap, out version, out _));
        Assert.Null(version);
        // The fourth item was not kept (list length 3): rank 0.
        Assert.False(lists.Remember(7, "v2", 2000, [10, 20, 30, 40]));
        Assert.Equal(ShownOutcome.Matched, lists.Take(7, 2000, 40, Gap, out version, out rank));
        Assert.Equal(("v2", 0), (version, rank));
    }

    [Fact]
    public void Take_MoreThanGapAfterShown_ExpiredAndForgotten()
    {
        var lists = new ShownLists(capacity: 8, listLength: 20);
        lists.Remember(7, "v1", 1000, [10]);
        Assert.Equal(ShownOutcome.Expired, lists.Take(7, 1000 + Gap + 1, 10, Gap, out string? version, out _));
        Assert.Equal("v1", version);
        Assert.Equal(ShownOutcome.NoList, lists.Take(7, 1000 + Gap + 2, 10, Gap, out _, out _));
        lists.Remember(7, "v1", 5000, [10]);
        Assert.Equal(ShownOutcome.Matched, lists.Take(7, 5000 + Gap, 10, Gap, out _, out int rank));
        Assert.Equal(1, rank);
    }

    [Fact]
    public void Remember_MoreUsersThanCapacity_BoundedAndNewestKept()
    {
        var lists = new ShownLists(capacity: 64, listLength: 2);
        Assert.Equal(64, lists.Capacity);
        for (long user = 0; user < 1000; user++)
            lists.Remember(user, "v1", 1 + user, [user, user + 1]);
        int kept = 0;
        for (long user = 0; user < 1000; user++)
            kept += lists.Take(user, 1 + user, user, Gap, out _, out _) == ShownOutcome.Matched ? 1 : 0;
        Assert.Equal(64, kept);
        // The last user remembered is among them: a group overwrites its oldest list.
        lists.Remember(5000, "v1", 9000, [1]);
        Assert.Equal(ShownOutcome.Matched, lists.Take(5000, 9000, 1, Gap, out _, out _));
    }
}
