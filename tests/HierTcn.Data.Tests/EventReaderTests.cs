using System.IO.Compression;
using System.Security.Cryptography;
using HierTcn.Data.Ingest;

namespace HierTcn.Data.Tests;

public sealed class EventReaderTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static string Rows(int n)
    {
        var csv = new EventsCsv();
        for (int i = 0; i < n; i++)
        {
            csv.Add(i % 97, i % 13, EventsCsv.T0 + i);
        }
        return csv.ToString();
    }

    [Fact]
    public void Read_PlainCsv_ReadsColumnsInInputOrder()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms\n5,7,1600000000002\n3,9,1600000000001\n");
        var t = EventReader.Read(path);
        Assert.Equal(2, t.Count);
        Assert.Equal([5L, 3L], t.Users.ToArray());
        Assert.Equal([7L, 9L], t.Items.ToArray());
        Assert.Equal([1600000000002L, 1600000000001L], t.Timestamps.ToArray());
        Assert.Equal(2, t.Summary.RowsKept);
        Assert.False(t.HasImpressions);
    }

    [Fact]
    public void Read_Gzip_HashesStoredBytes()
    {
        string path = _tmp.WriteGzip("e.csv.gz", Rows(5000));
        var t = EventReader.Read(path);
        Assert.Equal(5000, t.Count);
        Assert.True(t.Summary.Gzip);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), t.InputSha256);
    }

    [Fact]
    public void Read_GzipWithPlainName_DetectedByMagic()
    {
        string path = _tmp.WriteGzip("e.csv", Rows(10));
        Assert.Equal(10, EventReader.Read(path).Count);
    }

    [Fact]
    public void Read_PlainFileNamedGz_ThrowsNotGzip()
    {
        string path = _tmp.WriteText("e.csv.gz", Rows(10));
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains("not gzip", e.Message);
    }

    [Fact]
    public void Read_TabsInCsvNamedFile_DelimiterSniffedFromHeader()
    {
        string path = _tmp.WriteText("e.csv", "session\tuser_id\ttimestamp_ms\titem_id\nx\t1\t1600000000000\t2\n");
        var t = EventReader.Read(path);
        Assert.Equal("\t", t.Summary.Delimiter);
        Assert.Equal(1L, t.Users[0]);
        Assert.Equal(2L, t.Items[0]);
    }

    [Fact]
    public void Read_MappedColumnNames_UsesThemAndIgnoresOthers()
    {
        string path = _tmp.WriteText("e.tsv", "ts\tu\textra\ti\n1600000000000\t4\tzzz\t8\n");
        var t = EventReader.Read(path, new EventIngestOptions { UserColumn = "u", ItemColumn = "i", TimeColumn = "ts" });
        Assert.Equal(4L, t.Users[0]);
        Assert.Equal(8L, t.Items[0]);
    }

    [Fact]
    public void Read_TruncatedGzip_ThrowsNamingFileAndTruncation()
    {
        string full = _tmp.WriteGzip("full.csv.gz", Rows(200_000));
        byte[] bytes = File.ReadAllBytes(full);
        string path = _tmp.File("cut.csv.gz");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Read_GzipMissingTrailer_ThrowsTruncated()
    {
        string full = _tmp.WriteGzip("full.csv.gz", Rows(100));
        byte[] bytes = File.ReadAllBytes(full);
        string path = _tmp.File("cut.csv.gz");
        File.WriteAllBytes(path, bytes[..^4]);
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Read_EmptyFile_ThrowsEmpty()
    {
        string path = _tmp.WriteText("e.csv", "");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Read_EmptyGzip_ThrowsEmpty()
    {
        string path = _tmp.WriteGzip("e.csv.gz", "");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Read_HeaderOnly_ThrowsNoEvents()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms\n");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains("no events", e.Message);
    }

    [Fact]
    public void Read_WrongColumnNames_ListsExpectedAndFound()
    {
        string path = _tmp.WriteText("e.csv", "user,item_id,time\n1,2,1600000000000\n");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains("'user_id', 'timestamp_ms' not found", e.Message);
        Assert.Contains("expected user_id, item_id, timestamp_ms", e.Message);
        Assert.Contains("found 'user', 'item_id', 'time'", e.Message);
    }

    [Fact]
    public void Read_MissingImpressionsColumn_Throws()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms\n1,2,1600000000000\n");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path, new EventIngestOptions { ImpressionsColumn = "impressions" }));
        Assert.Contains("'impressions' not found", e.Message);
    }

    [Fact]
    public void Read_BadRows_SkippedCountedAndReportedWithLines()
    {
        string path = _tmp.WriteText("e.csv", string.Join('\n',
            "user_id,item_id,timestamp_ms",
            "1,2,1600000000000",   // line 2: good
            "abc,2,1600000000000", // 3: non-numeric user
            "1,,1600000000000",    // 4: empty item
            "1,2",                 // 5: missing field
            "-4,2,1600000000000",  // 6: negative id
            "1,2,1600000000",      // 7: seconds, before 1990
            "1,2,-5",              // 8: negative timestamp
            "1,2,99999999999999",  // 9: after 2100
            "1,3,1600000000001",   // 10: good
            ""));
        var t = EventReader.Read(path, new EventIngestOptions { TimeUnit = TimeUnit.Milliseconds });
        Assert.Equal(2, t.Count);
        Assert.Equal(9, t.Summary.RowsRead);
        Assert.Equal(7, t.Summary.BadRows);
        Assert.Equal(5, t.Summary.BadRowExamples.Count);
        Assert.StartsWith("line 3: user_id 'abc' is not an integer id", t.Summary.BadRowExamples[0]);
        Assert.StartsWith("line 4: item_id is empty", t.Summary.BadRowExamples[1]);
        Assert.StartsWith("line 5: 2 fields", t.Summary.BadRowExamples[2]);
        Assert.StartsWith("line 6: user_id -4 is negative", t.Summary.BadRowExamples[3]);
        Assert.Contains("outside 1990-01-01..2100-01-01", t.Summary.BadRowExamples[4]);
        Assert.Equal([2L, 3L], t.Items.ToArray());
    }

    [Fact]
    public void Read_NonNumericIdWithFailPolicy_ThrowsWithLine()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms\n1,2,1600000000000\n1,x7,1600000000000\n");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path, new EventIngestOptions { OnBadRow = BadRowPolicy.Fail }));
        Assert.Contains($"{path}: line 3: item_id 'x7' is not an integer id", e.Message);
    }

    [Fact]
    public void Read_AllRowsBad_ThrowsNoValidEvents()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms\na,b,c\n");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path, new EventIngestOptions { TimeUnit = TimeUnit.Milliseconds }));
        Assert.Contains("no valid events", e.Message);
    }

    [Fact]
    public void Read_DuplicateRows_KeptAsSeparateEvents()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms\n1,2,1600000000000\n1,2,1600000000000\n");
        Assert.Equal(2, EventReader.Read(path).Count);
    }

    [Fact]
    public void Read_Impressions_ParsedPerRowAndBadIdsSkipRow()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms,impressions\n1,2,1600000000000,5 2 9\n1,3,1600000000001,\n1,4,1600000000002,4 x\n1,4,1600000000003,4\n");
        var t = EventReader.Read(path, new EventIngestOptions { ImpressionsColumn = "impressions" });
        Assert.Equal(3, t.Count);
        Assert.Equal([5L, 2L, 9L], t.Impressions(0).ToArray());
        Assert.True(t.Impressions(1).IsEmpty);
        Assert.Equal([4L], t.Impressions(2).ToArray());
        Assert.Equal(1, t.Summary.BadRows);
        Assert.Equal(4, t.Summary.ImpressionIds);
    }

    [Fact]
    public void Read_ManyRows_GrowsColumnsPastInitialCapacity()
    {
        string path = _tmp.WriteGzip("e.csv.gz", Rows(300_000));
        var t = EventReader.Read(path);
        Assert.Equal(300_000, t.Count);
        Assert.Equal(299_999L % 97, t.Users[299_999]);
        Assert.Equal(EventsCsv.T0 + 299_999, t.Timestamps[299_999]);
    }

    [Fact]
    public void Read_CompressedConcatenatedMembers_ReadsAll()
    {
        string path = _tmp.File("two.csv.gz");
        using (var f = File.Create(path))
        {
            foreach (string part in new[] { "user_id,item_id,timestamp_ms\n1,2,1600000000000\n", "1,3,1600000000001\n" })
            {
                using var gz = new GZipStream(f, CompressionLevel.Fastest, leaveOpen: true);
                gz.Write(System.Text.Encoding.UTF8.GetBytes(part));
            }
        }
        Assert.Equal(2, EventReader.Read(path).Count);
    }

    [Fact]
    public void Read_UnclosedQuote_ThrowsMalformedWithLine()
    {
        string path = _tmp.WriteText("q.csv", "user_id,item_id,timestamp_ms\n1,2,1600000000000\n1,\"3,1600000000001\n");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains($"{path}: malformed CSV near line 3", e.Message);
    }

    [Fact]
    public void Read_BlankLine_LineNumbersStayRight()
    {
        string path = _tmp.WriteText("b.csv", "user_id,item_id,timestamp_ms\n1,2,1600000000000\n\n1,x,1600000000000\n");
        var t = EventReader.Read(path);
        Assert.Equal(1, t.Count);
        // The blank line is a bad row of its own (one empty field), so it is reported and the count stays right.
        Assert.Equal(2, t.Summary.BadRows);
        Assert.StartsWith("line 3: 1 fields", t.Summary.BadRowExamples[0]);
        Assert.StartsWith("line 4: item_id 'x'", t.Summary.BadRowExamples[1]);
    }

    [Fact]
    public void Read_BomAndCrlf_ReadLikePlainCsv()
    {
        string path = _tmp.File("w.csv");
        File.WriteAllText(path, "user_id,item_id,timestamp_ms\r\n1,2,1600000000000\r\n3,4,1600000000001\r\n", new System.Text.UTF8Encoding(true));
        var t = EventReader.Read(path);
        Assert.Equal([1L, 3L], t.Users.ToArray());
        Assert.Equal([1600000000000L, 1600000000001L], t.Timestamps.ToArray());
        Assert.Equal(0, t.Summary.BadRows);
    }

    [Fact]
    public void Read_IntegralDecimals_AcceptedAndFractionsAreBadRows()
    {
        string path = _tmp.WriteText("f.csv", "user_id,item_id,timestamp_ms\n1.0,2.0,1600000000000.0\n1,2.5,1600000000000\n");
        var t = EventReader.Read(path);
        Assert.Equal(1, t.Count);
        Assert.Equal(2L, t.Items[0]);
        Assert.Equal(1600000000000L, t.Timestamps[0]);
        Assert.StartsWith("line 3: item_id '2.5' is not an integer id", t.Summary.BadRowExamples[0]);
    }

    [Theory]
    [InlineData("964982703", TimeUnit.Seconds, "s")]
    [InlineData("964982703000", TimeUnit.Milliseconds, "ms")]
    [InlineData("964982703000000", TimeUnit.Microseconds, "us")]
    [InlineData("2000-07-30T18:45:03Z", TimeUnit.Iso, "iso")]
    [InlineData("2000-07-30 20:45:03+02:00", TimeUnit.Iso, "iso")]
    public void Read_AutoTimeUnit_DetectedAndConvertedToMs(string first, TimeUnit unit, string name)
    {
        string second = unit switch
        {
            TimeUnit.Seconds => "964982704",
            TimeUnit.Milliseconds => "964982704000",
            TimeUnit.Microseconds => "964982704000999",
            _ => "2000-07-30T18:45:04Z",
        };
        string path = _tmp.WriteText("e.csv", $"userId,movieId,timestamp\n1,10,{first}\n1,11,{second}\n");
        var options = new EventIngestOptions { UserColumn = "userId", ItemColumn = "movieId", TimeColumn = "timestamp" };
        var t = EventReader.Read(path, options);
        Assert.Equal([964982703000L, 964982704000L], t.Timestamps.ToArray());
        Assert.Equal(name, t.Summary.TimeUnit);
        Assert.True(t.Summary.TimeUnitDetected);
        Assert.Equal(unit, TimeUnitDetector.Classify(first));

        // The same file with the unit given: read the same, not marked detected.
        var given = EventReader.Read(path, options with { TimeUnit = unit });
        Assert.Equal(t.Timestamps.ToArray(), given.Timestamps.ToArray());
        Assert.False(given.Summary.TimeUnitDetected);
    }

    [Fact]
    public void Read_AutoTimeUnit_MixedColumnRefusedNamingBothUnits()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms\n1,2,1600000000000\n1,3,1600000001000\n1,4,1600000002\n");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains("timestamp_ms mixes units", e.Message);
        Assert.Contains("2 look like ms (line 2: '1600000000000')", e.Message);
        Assert.Contains("1 look like s (line 4: '1600000002')", e.Message);
        Assert.Contains("--time-unit", e.Message);
        // Given a unit, the odd row is a bad row and the rest is read.
        var t = EventReader.Read(path, new EventIngestOptions { TimeUnit = TimeUnit.Milliseconds });
        Assert.Equal(2, t.Count);
        Assert.Equal(1, t.Summary.BadRows);
    }

    [Fact]
    public void Read_AutoTimeUnit_NothingRecognisedRefused()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms\n1,2,12\n1,3,yesterday\n");
        var e = Assert.Throws<UserInputException>(() => EventReader.Read(path));
        Assert.Contains("cannot tell the unit of timestamp_ms", e.Message);
        Assert.Contains("line 2: '12'", e.Message);
    }

    [Fact]
    public void Read_AutoTimeUnit_BadRowsBesideOneUnitDoNotBlockDetection()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,timestamp_ms\n1,2,1600000000000\n1,3,\n1,4,abc\n1,5,1600000001000\n");
        var t = EventReader.Read(path);
        Assert.Equal("ms", t.Summary.TimeUnit);
        Assert.Equal(2, t.Count);
        Assert.Equal(2, t.Summary.BadRows);
    }

    [Fact]
    public void Read_IsoUnit_NonDateIsABadRowWithItsReason()
    {
        string path = _tmp.WriteText("e.csv", "user_id,item_id,t\n1,2,2017-10-01T03:00:00Z\n1,3,1506826800000\n");
        var t = EventReader.Read(path, new EventIngestOptions { TimeColumn = "t", TimeUnit = TimeUnit.Iso });
        Assert.Equal([1506826800000L], t.Timestamps.ToArray());
        Assert.StartsWith("line 3: t '1506826800000' is not an ISO-8601 date-time", t.Summary.BadRowExamples[0]);
    }
}
