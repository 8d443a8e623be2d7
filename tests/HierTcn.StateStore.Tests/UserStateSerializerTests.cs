using HierTcn.Formats.State;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

public sealed class UserStateSerializerTests
{
    private static UserState Sample()
    {
        var state = new UserState("v2024-11-27", -42, 6, 3)
        {
            Version = 7,
            LastEventMs = 1_732_700_000_123,
            HiddenState = [0.5f, -1.25f, float.Epsilon, 3e38f, -0f, 1f],
            RecentEventIds = [10, 11, long.MaxValue],
        };
        state.AppendSessionItem(100, [1f, 2f, 3f], capacity: 4);
        state.AppendSessionItem(200, [0.5f, 0.5f, 0.5f], capacity: 4);
        return state;
    }

    [Fact]
    public void Serialize_AllFields_RoundTripsExactly()
    {
        var state = Sample();
        var bytes = UserStateSerializer.Serialize(state);
        Assert.Equal(UserStateSerializer.GetSize(state), bytes.Length);

        var back = UserStateSerializer.Deserialize(bytes);

        Assert.Equal(state.ModelVersion, back.ModelVersion);
        Assert.Equal(state.UserId, back.UserId);
        Assert.Equal(state.Version, back.Version);
        Assert.Equal(state.LastEventMs, back.LastEventMs);
        Assert.Equal(state.HiddenState, back.HiddenState);
        Assert.Equal(state.SessionItems, back.SessionItems);
        Assert.Equal(state.SessionSum, back.SessionSum);
        Assert.Equal(state.SessionCount, back.SessionCount);
        Assert.Equal(state.RecentEventIds, back.RecentEventIds);
        Assert.Equal(bytes, UserStateSerializer.Serialize(back));
    }

    [Fact]
    public void Deserialize_OmitEvents_KeepsWhatRankingReadsAndRefusesToSerialize()
    {
        var state = Sample();
        state.RecordSessionEvent(55, 1_732_700_000_000, capacity: 8);
        var bytes = UserStateSerializer.Serialize(state);

        Assert.True(UserStateSerializer.TryDeserialize(bytes, omitEvents: true, out var back, out var error), error);

        Assert.True(back.EventsOmitted);
        Assert.Equal(state.HiddenState, back.HiddenState);
        Assert.Equal(state.SessionItems, back.SessionItems);
        Assert.Equal(state.SessionSum, back.SessionSum);
        Assert.Equal(state.SessionCount, back.SessionCount);
        Assert.Equal(state.SessionStartMs, back.SessionStartMs);
        Assert.Equal(state.LastEventMs, back.LastEventMs);
        Assert.Equal(state.LateBeforeMs, back.LateBeforeMs);
        Assert.Equal(state.Version, back.Version);
        Assert.Empty(back.RecentEventIds);
        Assert.Empty(back.SessionEventIds);
        Assert.Empty(back.SessionEventTimes);
        Assert.Empty(back.SessionItemTimes);
        Assert.Throws<ArgumentException>(() => UserStateSerializer.Serialize(back));
        Assert.Throws<ArgumentException>(() => UserStateSerializer.Serialize(back.Clone()));
    }

    [Fact]
    public void Deserialize_OmitEvents_AnyFlippedByte_StillFails()
    {
        var bytes = UserStateSerializer.Serialize(Sample());
        for (int i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            Assert.False(UserStateSerializer.TryDeserialize(damaged, omitEvents: true, out _, out _), $"flip at byte {i} was accepted");
        }
    }

    [Fact]
    public void Deserialize_AnyFlippedByte_FailsWithMessage()
    {
        var bytes = UserStateSerializer.Serialize(Sample());
        for (int i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            Assert.False(UserStateSerializer.TryDeserialize(damaged, out _, out var error), $"flip at byte {i} was accepted");
            Assert.False(string.IsNullOrEmpty(error));
            Assert.False(UserStateSerializer.IsIntact(damaged));
        }
    }

    [Fact]
    public void Deserialize_Truncated_ReportsWhatIsWrong()
    {
        var bytes = UserStateSerializer.Serialize(Sample());
        var error = Assert.Throws<InvalidDataException>(() => UserStateSerializer.Deserialize(bytes.AsSpan(0, 20))).Message;
        Assert.Contains("shorter than the smallest valid state", error);
        error = Assert.Throws<InvalidDataException>(() => UserStateSerializer.Deserialize(bytes.AsSpan(0, bytes.Length - 9))).Message;
        Assert.Contains("checksum", error);
    }

    [Fact]
    public void Deserialize_WrongMagicOrNewerFormat_NamesTheProblem()
    {
        var bytes = UserStateSerializer.Serialize(Sample());
        var wrongMagic = (byte[])bytes.Clone();
        wrongMagic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => UserStateSerializer.Deserialize(wrongMagic)).Message);
        var newer = (byte[])bytes.Clone();
        newer[4] = 9;
        Assert.Contains("format version 9", Assert.Throws<InvalidDataException>(() => UserStateSerializer.Deserialize(newer)).Message);
    }

    [Fact]
    public void Deserialize_ListLengthBeyondLimit_NamesTheField()
    {
        // A well-checksummed record whose hidden_state length is absurd: the length check, not the CRC, rejects it.
        var state = new UserState("m", 1, 0, 0);
        var bytes = UserStateSerializer.Serialize(state);
        int lengthAt = 37 + 1;
        BitConverter.TryWriteBytes(bytes.AsSpan(lengthAt), int.MaxValue);
        UserStateSerializer.SetVersion(bytes, 0);
        var error = Assert.Throws<InvalidDataException>(() => UserStateSerializer.Deserialize(bytes)).Message;
        Assert.Contains("hidden_state", error);
    }

    [Fact]
    public void SetVersion_PatchesInPlace_StaysValid()
    {
        var bytes = UserStateSerializer.Serialize(Sample());
        UserStateSerializer.SetVersion(bytes, 12345);
        Assert.Equal(12345UL, UserStateSerializer.ReadVersion(bytes));
        Assert.Equal(12345UL, UserStateSerializer.Deserialize(bytes).Version);
    }

    [Fact]
    public void Serialize_ModelVersionTooLong_Throws()
    {
        var state = new UserState(new string('x', 256), 1, 0, 0);
        Assert.Contains("model version", Assert.Throws<ArgumentException>(() => UserStateSerializer.Serialize(state)).Message);
    }

    [Fact]
    public void AppendSessionItem_BeyondCapacity_KeepsNewestItemsAndFullMean()
    {
        var state = new UserState("m", 1, 0, 2);
        for (int i = 1; i <= 5; i++)
            state.AppendSessionItem(i, [i, 2 * i], capacity: 3);
        Assert.Equal([3L, 4L, 5L], state.SessionItems);
        Assert.Equal(5, state.SessionCount);
        Span<float> mean = stackalloc float[2];
        state.SessionMean(mean);
        Assert.Equal(3f, mean[0]);
        Assert.Equal(6f, mean[1]);
        state.ResetSession();
        Assert.Empty(state.SessionItems);
        Assert.Equal(0, state.SessionCount);
    }

    [Fact]
    public void RecordAppliedEvent_BeyondCapacity_ForgetsOldest()
    {
        var state = new UserState("m", 1, 0, 0);
        for (long e = 0; e < 70; e++)
            state.RecordAppliedEvent(e);
        Assert.Equal(UserState.DefaultRecentEventCapacity, state.RecentEventIds.Length);
        Assert.False(state.HasAppliedEvent(5));
        Assert.True(state.HasAppliedEvent(69));
        Assert.True(state.HasAppliedEvent(6));
    }

    [Fact]
    public void TestStates_CounterOf_DetectsMixedState()
    {
        var state = TestStates.Make(3, 10);
        Assert.Equal(10, TestStates.CounterOf(state));
        state.RecentEventIds = [11];
        Assert.ThrowsAny<Exception>(() => TestStates.CounterOf(state));
    }

    [Fact]
    public void RecordAppliedEvent_SeventyEventsInOneMillisecond_TheFirstIsStillADuplicate()
    {
        // Issue 13: event 0 resent after 70 events with the same millisecond was neither remembered nor late.
        var state = new UserState("m", 1, 4, 2);
        const long t = 1_700_000_000_000;
        for (long e = 0; e < 70; e++)
            state.RecordAppliedEventAt(e, t);
        Assert.True(state.HasAppliedEvent(0));
        Assert.Equal(t, state.LastEventMs);
        var back = UserStateSerializer.Deserialize(UserStateSerializer.Serialize(state));
        Assert.True(back.HasAppliedEvent(0));

        // Once time moves on the list shrinks back to its capacity; a resend of an older event is late, not remembered.
        back.RecordAppliedEventAt(1000, t + 1);
        Assert.Equal(UserState.DefaultRecentEventCapacity, back.RecentEventIds.Length);
        Assert.True(back.HasAppliedEvent(1000));
        Assert.Equal(t + 1, back.LastEventMs);
    }

    [Fact]
    public void RecordAppliedEvent_SameMillisecondBeyondTheBound_ForgetsOldest()
    {
        var state = new UserState("m", 1, 4, 2);
        for (long e = 0; e < UserState.MaxSameMillisecondEventIds + 10; e++)
            state.RecordAppliedEventAt(e, 5);
        Assert.Equal(UserState.MaxSameMillisecondEventIds, state.RecentEventIds.Length);
        Assert.False(state.HasAppliedEvent(0));
        Assert.True(state.HasAppliedEvent(UserState.MaxSameMillisecondEventIds + 9));
    }
}
