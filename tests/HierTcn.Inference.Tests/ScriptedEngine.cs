namespace HierTcn.Inference.Tests;

/// <summary>The engine alone (no server) on the fixture's bundles over a <see cref="ScriptedStateStore"/>.</summary>
internal static class ScriptedEngine
{
    public static RecommenderEngine Start(ServedModelFixture model, ScriptedStateStore store, params string[] versions) =>
        Start(model, store, null, versions);

    /// <summary>As above, on <paramref name="clock"/> (the system clock when null).</summary>
    public static RecommenderEngine Start(ServedModelFixture model, ScriptedStateStore store, TimeProvider? clock, params string[] versions) =>
        RecommenderEngine.Start(new RecommenderOptions
        {
            BundlesDirectory = model.BundlesDirectory,
            SnapshotsDirectory = model.SnapshotsDirectory,
            Models = [.. (versions.Length == 0 ? ["v1"] : versions).Select(v => new ModelArmOptions { Version = v })],
            SnapshotPollInterval = TimeSpan.Zero,
        }, store, clock: clock);

    /// <summary>Polls <paramref name="condition"/> every 10 ms for up to 20 s.</summary>
    public static async Task WaitUntil(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"not reached within 20 s: {what}");
            await Task.Delay(10);
        }
    }
}
