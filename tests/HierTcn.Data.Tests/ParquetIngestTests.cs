using HierTcn.Data.Dataset;
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

    [Fact]
    public async Task Prepare_RatingsInSecondsMsIsoAndParquet_AutoUnitGivesByteIdenticalDatasets()
    {
        // The issue's case: a public ratings file (userId,movieId,rating,timestamp in seconds), prepared with the
        // default --time-unit auto, against the same events in ms, as ISO-8601 strings, and as Parquet (ms).
        var rng = new Random(11);
        int n = 3000;
        var users = new long?[n];
        var items = new long?[n];
        var seconds = new long[n];
        var ms = new long?[n];
        var inSeconds = new System.Text.StringBuilder("userId,movieId,rating,timestamp\n");
        var inMs = new System.Text.StringBuilder("userId,movieId,rating,timestamp\n");
        var inIso = new System.Text.StringBuilder("userId,movieId,rating,timestamp\n");
        for (int i = 0; i < n; i++)
        {
            users[i] = rng.Next(40);
            items[i] = rng.Next(20);
            seconds[i] = 964_982_703L + i * 37L + rng.Next(30);
            ms[i] = seconds[i] * 1000;
            string rating = (rng.Next(1, 11) / 2.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
            string iso = DateTimeOffset.FromUnixTimeSeconds(seconds[i]).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            inSeconds.Append(System.Globalization.CultureInfo.InvariantCulture, $"{users[i]},{items[i]},{rating},{seconds[i]}\n");
            inMs.Append(System.Globalization.CultureInfo.InvariantCulture, $"{users[i]},{items[i]},{rating},{ms[i]}\n");
            inIso.Append(System.Globalization.CultureInfo.InvariantCulture, $"{users[i]},{items[i]},{rating},{iso}\n");
        }
        var columns = new EventIngestOptions { UserColumn = "userId", ItemColumn = "movieId", TimeColumn = "timestamp" };
        var prepared = new List<(string Name, DatasetHeader Result)>();
        foreach (var (name, text) in new[] { ("s", inSeconds), ("ms", inMs), ("iso", inIso) })
        {
            string path = _tmp.WriteText($"ratings-{name}.csv", text.ToString());
            prepared.Add((name, DatasetPreparer.Prepare(path, _tmp.File($"d-{name}"), new PrepareOptions { Ingest = columns })));
        }
        var parquetColumns = new EventIngestOptions { UserColumn = "userId", ItemColumn = "itemId", TimeColumn = "timestamp" };
        string parquet = await Write<long>("ratings.parquet", "timestamp", (users[..1500], items[..1500], ms[..1500]), (users[1500..], items[1500..], ms[1500..]));
        prepared.Add(("parquet", DatasetPreparer.Prepare(parquet, _tmp.File("d-parquet"), new PrepareOptions { Ingest = parquetColumns })));

        Assert.True(prepared[1].Result.Counts.Events > 2500, $"{prepared[1].Result.Counts.Events} events kept");
        byte[] reference = File.ReadAllBytes(_tmp.File("d-ms/dataset.bin"));
        foreach (var (name, result) in prepared)
        {
            Assert.Equal(prepared[1].Result.DataSha256, result.DataSha256);
            Assert.True(reference.AsSpan().SequenceEqual(File.ReadAllBytes(_tmp.File($"d-{name}/dataset.bin"))), $"{name}: dataset.bin differs from the ms file's");
        }
    }

    /// <summary>Writes one row group per entry of <paramref name="groups"/>: a nullable int64 <c>itemId</c> and
    /// nullable float columns f0..f{d-1}.</summary>
    private async Task<string> WriteItems(string name, params (long?[] Ids, float?[][] Features)[] groups)
    {
        var id = new DataField<long?>("itemId");
        var features = Enumerable.Range(0, groups[0].Features.Length).Select(j => new DataField<float?>($"f{j}")).ToArray();
        string path = _tmp.File(name);
        await using (var stream = File.Create(path))
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema([id, .. features]), stream))
        {
            foreach (var (ids, columns) in groups)
            {
                using var rg = writer.CreateRowGroup();
                await rg.WriteAsync<long>(id, ids.AsMemory());
                for (int j = 0; j < features.Length; j++)
                {
                    await rg.WriteAsync<float>(features[j], columns[j].AsMemory());
                }
            }
        }
        return path;
    }

    /// <summary>Events of 40 users on items 0..19 (every item kept by the protocol's filters), as CSV.</summary>
    private string EventsCsv()
    {
        var rng = new Random(9);
        var csv = new System.Text.StringBuilder("userId,itemId,ts\n");
        for (int i = 0; i < 3000; i++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"{rng.Next(40)},{rng.Next(20)},{1_600_000_000_000L + i * 60_000L}\n");
        }
        return _tmp.WriteText("events.csv", csv.ToString());
    }

    [Fact]
    public async Task PrepareItems_ParquetWithSeveralRowGroupsAndNulls_SameDatasetAsCsv()
    {
        // Items 0..19 are the catalogue; 100 and 101 are not, and their null features are never read (as in CSV).
        var rng = new Random(3);
        var ids = new long?[] { 7, 100, 3, 0, 1, 2, 101, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 };
        var rows = ids.Select(i => i >= 100 ? new float?[] { null, 1.5f, null } : [.. Enumerable.Range(0, 3).Select(_ => (float?)(rng.NextSingle() * 4 - 2))]).ToArray();
        var columns = Enumerable.Range(0, 3).Select(j => rows.Select(r => r[j]).ToArray()).ToArray();
        (long?[], float?[][]) Group(int from, int to) => (ids[from..to], [.. columns.Select(c => c[from..to])]);
        string parquet = await WriteItems("items.parquet", Group(0, 5), Group(5, 7), Group(7, ids.Length));
        var csv = new System.Text.StringBuilder("itemId,f0,f1,f2\n");
        for (int r = 0; r < ids.Length; r++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"{ids[r]},{string.Join(",", rows[r].Select(v => v?.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}\n");
        }
        string text = _tmp.WriteText("items.csv", csv.ToString());
        string events = EventsCsv();

        var a = DatasetPreparer.Prepare(events, _tmp.File("ip"), new PrepareOptions { Ingest = s_columns, ItemsPath = parquet });
        var b = DatasetPreparer.Prepare(events, _tmp.File("ic"), new PrepareOptions { Ingest = s_columns, ItemsPath = text });
        Assert.Equal(3, a.ItemFeatureDim);
        Assert.Equal(20, a.Counts.Items);
        Assert.Equal(b.DataSha256, a.DataSha256);
        Assert.Equal(File.ReadAllBytes(_tmp.File("ic/dataset.bin")), File.ReadAllBytes(_tmp.File("ip/dataset.bin")));
        using var ds = PreparedDataset.Open(_tmp.File("ip"));
        int dense = ds.ItemIds.IndexOf(7L);
        Assert.Equal(rows[0].Select(v => v!.Value), ds.ItemFeatureVector(dense).ToArray());
    }

    [Theory]
    [InlineData("feature", "row 4: f1 is null")]
    [InlineData("id", "row 4: itemId is null")]
    [InlineData("nan", "row 4: f1 NaN is not a finite number")]
    [InlineData("duplicate", "row 5: item 3 has a second row")]
    public async Task PrepareItems_ParquetBadRowOfACatalogueItem_ThrowsNamingTheRow(string bad, string expected)
    {
        var ids = Enumerable.Range(0, 20).Select(i => (long?)i).ToArray();
        var columns = Enumerable.Range(0, 3).Select(j => ids.Select(i => (float?)(i + j)).ToArray()).ToArray();
        switch (bad)
        {
            case "feature": columns[1][3] = null; break;
            case "id": ids[3] = null; break;
            case "nan": columns[1][3] = float.NaN; break;
            default: ids[4] = 3; break;
        }
        // Row 4 is in the second of two row groups: row numbers run across groups.
        string parquet = await WriteItems("bad.parquet", (ids[..2], [.. columns.Select(c => c[..2])]), (ids[2..], [.. columns.Select(c => c[2..])]));
        var e = Assert.Throws<UserInputException>(() => DatasetPreparer.Prepare(EventsCsv(), _tmp.File("bad"), new PrepareOptions { Ingest = s_columns, ItemsPath = parquet }));
        Assert.Contains(expected, e.Message);
    }
}
