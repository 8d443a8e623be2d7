using HierTcn.Formats.State;

namespace HierTcn.StateStore.Tests.Support;

/// <summary>Deterministic states whose every field encodes (user, counter), so a reader can tell a whole state
/// from a mixed one.</summary>
public static class TestStates
{
    public const string Model = "m1";

    public static StateStoreOptions SmallOptions(string directory) => new()
    {
        DataDirectory = directory,
        IndexBuckets = 1 << 10,
        StorePageSizeBits = 16,
        StoreMemorySizeBits = 20,
        SegmentSizeBits = 20,
        MaxStateBytes = 16 << 10,
        CheckpointInterval = TimeSpan.FromHours(1),
        HousekeepingInterval = TimeSpan.FromHours(1),
        CompactionMinBytes = 256 << 10,
    };

    public static UserState Make(long userId, long counter, int hiddenSize = 32, string model = Model)
    {
        var state = new UserState(model, userId, hiddenSize, 8)
        {
            LastEventMs = 1_700_000_000_000 + counter,
            SessionCount = (int)(counter % 5),
            SessionItems = [userId, counter],
            RecentEventIds = [counter],
        };
        Array.Fill(state.HiddenState, counter + userId * 0.001f);
        Array.Fill(state.SessionSum, counter * 0.5f);
        return state;
    }

    /// <summary>The counter a state was made with; throws when its fields disagree (a torn or mixed state).</summary>
    public static long CounterOf(UserState state)
    {
        long counter = state.RecentEventIds.Single();
        var expected = Make(state.UserId, counter, state.HiddenState.Length, state.ModelVersion);
        Assert.Equal(expected.HiddenState, state.HiddenState);
        Assert.Equal(expected.SessionSum, state.SessionSum);
        Assert.Equal(expected.SessionItems, state.SessionItems);
        Assert.Equal(expected.LastEventMs, state.LastEventMs);
        Assert.Equal(expected.SessionCount, state.SessionCount);
        return counter;
    }
}
