using Google.Protobuf;
using Grpc.Net.Client;
using HierTcn.Formats.State;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Protocol;
using HierTcn.StateStore.Tests.Support;
using HierTcn.Tests.Shared;

namespace HierTcn.StateStore.Tests;

/// <summary>The rolling-upgrade switch <see cref="StateStoreOptions.WriteRecordFormat"/>: with 1 the engine stores, and
/// the shard answers, records that the reader of builds from before format 2 (<see cref="FormatOneDecoder"/>) reads;
/// format 2 is the default.</summary>
public sealed class RecordFormatTests : IDisposable
{
    private const long LastEventMs = 1_700_000_000_300;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A state with what only format 2 holds: an item inserted out of order, its event ids, a late bound.</summary>
    private static UserState SessionState(long userId)
    {
        var state = new UserState(TestStates.Model, userId, 4, 2) { LateBeforeMs = LastEventMs - 250 };
        Array.Fill(state.HiddenState, 0.25f);
        state.InsertSessionItem(10, LastEventMs - 200, [1f, 1f], capacity: 8);
        state.InsertSessionItem(11, LastEventMs, [2f, 2f], capacity: 8);
        state.InsertSessionItem(12, LastEventMs - 100, [3f, 3f], capacity: 8);
        foreach (var (id, time) in new[] { (7L, LastEventMs - 200), (8L, LastEventMs), (9L, LastEventMs - 100) })
        {
            state.RecordSessionEvent(id, time, capacity: 16);
            state.RecordAppliedEventAt(id, time);
        }
        return state;
    }

    private static List<byte[]> StoredRecords(StateStoreEngine engine)
    {
        var records = new List<byte[]>();
        engine.ForEachLiveState((_, state, _) =>
        {
            records.Add(state);
            return true;
        });
        return records;
    }

    [Fact]
    public async Task Engine_WriteRecordFormatOne_StoresRecordsTheFormatOneReaderReads()
    {
        var options = TestStates.SmallOptions(_dir.Path);
        options.WriteRecordFormat = 1;
        await using var engine = await StateStoreEngine.OpenAsync(options);
        Assert.Equal(StoreStatus.Ok, (await engine.PutAsync(SessionState(1))).Status);
        var second = SessionState(2);
        Assert.Equal(StoreStatus.Ok, (await engine.CompareAndSwapAsync(second, 0)).Status);
        Assert.Equal(StoreStatus.Ok, (await engine.CompareAndSwapAsync(second, second.Version)).Status);

        var records = StoredRecords(engine);
        Assert.Equal(2, records.Count);
        foreach (var record in records)
        {
            Assert.Equal(1, BitConverter.ToUInt16(record, 4));
            var old = FormatOneDecoder.Deserialize(record);
            Assert.Equal([10L, 12, 11], old.SessionItems);
            Assert.Equal([7L, 8, 9], old.RecentEventIds);
            Assert.Equal((3, LastEventMs), (old.SessionCount, old.LastEventMs));
            Assert.Equal([6f, 6f], old.SessionSum);
        }
        // This build reads them as format 1 records: the items at the last event, nothing older applicable.
        var read = await engine.GetAsync(new StateKey(TestStates.Model, 2));
        Assert.Equal((StoreStatus.Ok, second.Version), (read.Status, read.State!.Version));
        Assert.Equal((LastEventMs, LastEventMs), (read.State.LateBeforeMs, read.State.SessionStartMs));
        Assert.Equal([LastEventMs, LastEventMs, LastEventMs], read.State.SessionItemTimes);
        Assert.Empty(read.State.SessionEventIds);
    }

    [Fact]
    public async Task Engine_Default_StoresFormatTwo()
    {
        Assert.Equal(2, new StateStoreOptions().WriteRecordFormat);
        await using var engine = await StateStoreEngine.OpenAsync(TestStates.SmallOptions(_dir.Path));
        Assert.Equal(StoreStatus.Ok, (await engine.PutAsync(SessionState(1))).Status);

        var record = Assert.Single(StoredRecords(engine));
        Assert.Equal(2, BitConverter.ToUInt16(record, 4));
        Assert.False(FormatOneDecoder.TryDeserialize(record, out _, out _));
        var read = await engine.GetAsync(new StateKey(TestStates.Model, 1));
        Assert.Equal([LastEventMs - 200, LastEventMs - 100, LastEventMs], read.State!.SessionItemTimes);
    }

    [Fact]
    public async Task Server_WriteRecordFormatOne_AnswersFormatOneAlsoForStatesStoredInFormatTwo()
    {
        var key = new Key { ModelVersion = TestStates.Model, UserId = 1 };
        await using (var shard = await InProcessShard.StartAsync(_dir.Path))
        {
            using var channel = GrpcChannel.ForAddress(shard.Address);
            var client = new Protocol.StateStore.StateStoreClient(channel);
            var put = await client.PutAsync(new PutRequest { State = ByteString.CopyFrom(UserStateSerializer.Serialize(SessionState(1))) });
            Assert.Equal(Protocol.Status.Ok, put.Status);
            var answer = await client.GetAsync(new GetRequest { Key = key });
            Assert.Equal(2, BitConverter.ToUInt16(answer.State.Span[4..]));
        }

        await using (var shard = await InProcessShard.StartAsync(_dir.Path, "--StateStore:WriteRecordFormat=1"))
        {
            using var channel = GrpcChannel.ForAddress(shard.Address);
            var client = new Protocol.StateStore.StateStoreClient(channel);
            var answer = await client.GetAsync(new GetRequest { Key = key });
            Assert.Equal(Protocol.Status.Ok, answer.Status);
            var old = FormatOneDecoder.Deserialize(answer.State.Span);
            Assert.Equal([10L, 12, 11], old.SessionItems);
            Assert.Equal(answer.Version, old.Version);
            var batch = await client.BatchGetAsync(new BatchGetRequest { Keys = { key } });
            Assert.Equal(1, FormatOneDecoder.Deserialize(Assert.Single(batch.Results).State.Span).UserId);
        }
    }

    [Fact]
    public void Validate_WriteRecordFormatThisBuildDoesNotWrite_NamesTheSetting()
    {
        var engine = TestStates.SmallOptions(_dir.Path);
        engine.WriteRecordFormat = 3;
        Assert.Contains(engine.Validate(), e => e.StartsWith("WriteRecordFormat is 3", StringComparison.Ordinal));
        var remote = new RemoteStateStoreOptions { Shards = ["http://127.0.0.1:1"], WriteRecordFormat = 0 };
        Assert.Contains(remote.Validate(), e => e.StartsWith("WriteRecordFormat is 0", StringComparison.Ordinal));
        var resp = new RespStateStoreOptions { Endpoints = ["127.0.0.1:1"], WriteRecordFormat = 3 };
        Assert.Contains(resp.Validate(), e => e.StartsWith("WriteRecordFormat is 3", StringComparison.Ordinal));
        Assert.Equal((2, 2), (new RemoteStateStoreOptions().WriteRecordFormat, new RespStateStoreOptions().WriteRecordFormat));
    }
}
