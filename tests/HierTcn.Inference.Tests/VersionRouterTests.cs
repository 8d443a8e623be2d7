using HierTcn.Inference.Routing;

namespace HierTcn.Inference.Tests;

public sealed class VersionRouterTests
{
    [Fact]
    public void Assign_NinetyTenOverTenThousandUsers_LandsWithinOnePointFive()
    {
        var router = new VersionRouter("exp-1", [new("v1", 0.9), new("v2", 0.1)]);
        int v2 = Enumerable.Range(0, 10_000).Count(u => router.Assign(u * 7919L + 13) == "v2");
        Assert.InRange(v2 / 10_000.0, 0.085, 0.115);
    }

    [Fact]
    public void Assign_NewRouterSameConfig_SameArm()
    {
        var a = new VersionRouter("exp-1", [new("v1", 0.5), new("v2", 0.5)]);
        var b = new VersionRouter("exp-1", [new("v1", 0.5), new("v2", 0.5)]);
        for (long u = 0; u < 1000; u++)
        {
            Assert.Equal(a.Assign(u), b.Assign(u));
        }
    }

    [Fact]
    public void Assign_OtherSalt_Reshuffles()
    {
        var a = new VersionRouter("exp-1", [new("v1", 0.5), new("v2", 0.5)]);
        var b = new VersionRouter("exp-2", [new("v1", 0.5), new("v2", 0.5)]);
        int differ = Enumerable.Range(0, 1000).Count(u => a.Assign(u) != b.Assign(u));
        Assert.InRange(differ, 400, 600);
    }

    [Fact]
    public void Assign_ZeroWeightArm_NeverChosen()
    {
        var router = new VersionRouter("s", [new("v1", 1), new("v2", 0)]);
        Assert.All(Enumerable.Range(0, 5000), u => Assert.Equal("v1", router.Assign(u)));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void Constructor_BadWeight_Throws(double weight)
    {
        var e = Assert.Throws<ArgumentException>(() => new VersionRouter("s", [new("v1", 1), new("v2", weight)]));
        Assert.Contains("v2", e.Message);
    }

    [Fact]
    public void Constructor_DuplicateVersion_Throws()
    {
        Assert.Throws<ArgumentException>(() => new VersionRouter("s", [new("v1", 1), new("v1", 1)]));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Assign_LastArmGrowsFromTenToTwentyPercent_NoUserLeavesIt(int arms)
    {
        // The last arm holds [1 - w, 1) of the hash interval: growing w only widens it downwards, so the users it
        // gains come from other arms and none of its users leave.
        VersionWeight[] Split(double last) =>
            [.. Enumerable.Range(0, arms - 1).Select(i => new VersionWeight($"v{i}", (1 - last) / (arms - 1))), new("new", last)];
        var before = new VersionRouter("exp-1", Split(0.10));
        var after = new VersionRouter("exp-1", Split(0.20));
        int stayed = 0, joined = 0, moved = 0;
        for (long u = 0; u < 100_000; u++)
        {
            string was = before.Assign(u * 7919L + 13), now = after.Assign(u * 7919L + 13);
            if (was == "new")
            {
                Assert.Equal("new", now);
                stayed++;
            }
            else if (now == "new")
            {
                joined++;
            }
            else if (was != now)
            {
                moved++;
            }
        }
        Assert.InRange(stayed / 100_000.0, 0.095, 0.105);
        Assert.InRange(joined / 100_000.0, 0.095, 0.105);
        // With three arms the boundary between the first two moves as well (45/45 -> 40/40): users move between them.
        Assert.Equal(arms == 2, moved == 0);
    }
}
