namespace HierTcn.Trainer.Tests;

public sealed class WaitPolicyTests
{
    [Theory]
    [InlineData("auto", 0.05, 2, "ACTIVE")]       // idle machine: spin
    [InlineData("auto", 0.6, 2, "PASSIVE")]       // another job holds most of a core: sleep
    [InlineData("auto", null, 2, "PASSIVE")]      // load unknown: the safe choice
    [InlineData("auto", 0.0, 1, "PASSIVE")]       // one core: a spinning thread always starves another
    [InlineData("active", 1.9, 2, "ACTIVE")]
    [InlineData("passive", 0.0, 2, "PASSIVE")]
    public void ChooseWaitPolicy_FollowsTheLoadUnlessForced(string choice, double? busy, int cores, string expected) =>
        Assert.Equal(expected, TorchRuntime.ChooseWaitPolicy(choice, busy, cores));

    [Fact]
    public void ChooseWaitPolicy_UnknownChoice_IsAClearError()
    {
        var e = Assert.Throws<Data.UserInputException>(() => TorchRuntime.ChooseWaitPolicy("spin", 0, 2));
        Assert.Contains("expected auto, active or passive", e.Message);
    }

    [Fact]
    public void WaitPolicy_IsSetInTheProcessBeforeLibtorchLoads()
    {
        Assert.Contains(TorchRuntime.WaitPolicy, new[] { "ACTIVE", "PASSIVE", Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "libgomp default" });
        Assert.False(string.IsNullOrEmpty(TorchRuntime.WaitPolicyReason));
    }
}
