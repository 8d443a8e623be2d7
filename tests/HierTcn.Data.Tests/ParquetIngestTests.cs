using HierTcn.Data.Ingest;
using HierTcn.Data.Preparation;
using Parquet;
using Parquet.Schema;

namespace HierTcn.Data.Tests;

public sealed class ParquetIngestTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>Writes one row group per entry of <paramref name="groups"/>: nullable int64 user and item, and a
    /// time column of <typeparamref name="T"/>.</summary>
    private async Task<string> Write<T>(string name, string timeColumn, params (long?[] Users, long?[] Items, T?[] Times)[] groups)
        where T : struct
    {
        var user = new DataField<long?>("userId");
        var item = new DataField<long?>("itemId");
        var time = new DataField<T?>(timeColumn);
        string path = _tmp.File(name);
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(user, item, time), stream))
        {
            foreach (var (users, items, times) in groups)
            {
                using var rg = writer.CreateRowGroup();
                await rg.WriteAsync<long>(user, users.AsMemory());
                await rg.WriteAsync<long>(item, items.AsMemory());
                await rg.WriteAsync<T>(time, times.AsMemory());
            }
        }
        return path;
    }

    private static readonly EventIngestOptions s_columns = new() { UserColumn = "userId", ItemColumn = "itemId", TimeColumn = "ts" };

    [Fact]
    public async Task Read_SeveralRowGroupsWithNulls_KeepsOrderAndReportsNullRows()
    {
        string path = await Write<long>("e.parquet", "ts",
            ([1, 2, null], [10, 11, 12], [964982703, 964982704, 964982705]),
            ([3, 4], [null, 14], [964982706, null]),
            ([5, -6, 7], [15, 16, 17], [964982708, 964982709, 12]));
        var t = EventReader.Read(path, s_columns);
        Assert.Equal([1L, 2, 5], t.Users.ToArray());
        Assert.Equal([10L, 11, 15], t.Items.ToArray());
        Assert.Equal([964982703000L, 964982704000, 964982708000], t.Timestamps.ToArray());
        Assert.Equal(8, t.Summary.RowsRead);
        Assert.Equal(5, t.Summary.BadRows);
        Assert.Equal("s", t.Summary.TimeUnit);
        Assert.True(t.Summary.TimeUnitDetected);
        Assert.Equal("parquet", t.Summary.Delimiter);
        Assert.Equal(["row 3: userId is null", "row 4: itemId is null", "row 5: ts is null", "row 7: userId -6 is negative",
            "row 8: ts is outside 1990-01-01..2100-01-01"], t.Summary.BadRowExamples);

        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path, s_columns with { OnBadRow = BadRowPolicy.Fail }));
        Assert.Contains("row 3: userId is null (--on-bad-row fail)", e.Message);
    }

    [Fact]
    public async Task Read_ParquetTimestampColumn_ReadAsUtcMilliseconds()
    {
        var t0 = new DateTime(2017, 10, 1, 3, 0, 0, DateTimeKind.Utc);
        string path = await Write<DateTime>("t.parquet", "ts", ([1, 1], [2, 3], [t0, t0.AddSeconds(90)]));
        var t = EventReader.Read(path, s_columns);
        Assert.Equal([1506826800000L, 1506826890000], t.Timestamps.ToArray());
        Assert.Equal("timestamp", t.Summary.TimeUnit);
    }

    [Fact]
    public async Task Read_MissingColumn_ListsTheSchema()
    {
        string path = await Write<long>("m.parquet", "when", ([1], [2], [1600000000000]));
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path, s_columns));
        Assert.Contains("column 'ts' not found in the Parquet schema; found 'userId', 'itemId', 'when'", e.Message);
    }

    [Fact]
    public async Task Prepare_ParquetAndCsvOfTheSameEvents_GiveTheSameDataset()
    {
        var rng = new Random(5);
        int n = 3000;
        var users = new long?[n];
        var items = new long?[n];
        var times = new long?[n];
        var csv = new System.Text.StringBuilder("userId,itemId,ts\n");
        for (int i = 0; i < n; i++)
        {
            users[i] = rng.Next(40);
            items[i] = rng.Next(20);
            times[i] = 1_600_000_000_000L + i * 60_000L;
            csv.Append($"{users[i]},{items[i]},{times[i]}\n");
        }
        string parquet = await Write<long>("p.parquet", "ts", (users[..1000], items[..1000], times[..1000]), (users[1000..], items[1000..], times[1000..]));
        string text = _tmp.WriteText("p.csv", csv.ToString());
        var options = new PrepareOptions { Ingest = s_columns };
        var a = DatasetPreparer.Prepare(parquet, _tmp.File("dp"), options);
        var b = DatasetPreparer.Prepare(text, _tmp.File("dc"), options);
        Assert.True(b.Counts.Events > 2500, $"{b.Counts.Events} events kept");
        Assert.Equal(b.DataSha256, a.DataSha256);
        Assert.Equal(File.ReadAllBytes(_tmp.File("dc/dataset.bin")), File.ReadAllBytes(_tmp.File("dp/dataset.bin")));
    }
}
