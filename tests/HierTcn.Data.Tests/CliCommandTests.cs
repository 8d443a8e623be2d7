using HierTcn.Cli.Commands;
using HierTcn.Data.Dataset;

namespace HierTcn.Data.Tests;

/// <summary>The commands' handlers run in-process, as <c>./hiertcn</c> runs them (stderr captured).</summary>
[Collection(nameof(SerialCollection))]
public sealed class CliCommandTests : IDisposable
{
    private readonly TempDirectory _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static (int Exit, string Error) Run(System.CommandLine.Command command, params string[] args)
    {
        var saved = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            int exit = command.Parse(args).Invoke();
            return (exit, error.ToString());
        }
        finally
        {
            Console.SetError(saved);
        }
    }

    /// <summary>A small generated dataset (60 users, 30 items), prepared; its directory.</summary>
    private string SmallPreparedData()
    {
        string gen = _tmp.File("gen");
        var (exit, error) = Run(GenerateCommand.Create(), "--out", gen, "--users", "60", "--items", "30", "--dim", "4", "--topics", "3", "--seed", "5");
        Assert.True(exit == 0, error);
        string data = _tmp.File("d");
        (exit, error) = Run(PrepareCommand.Create(), "--input", Path.Combine(gen, "events.csv.gz"), "--out", data);
        Assert.True(exit == 0, error);
        return data;
    }

    [Fact]
    public void Prepare_HeaderOnlyFile_ExitsNonZeroWithOneLineError()
    {
        string input = _tmp.WriteText("h.csv", "user_id,item_id,timestamp_ms\n");
        var (exit, error) = Run(PrepareCommand.Create(), "--input", input, "--out", _tmp.File("d"));
        Assert.NotEqual(0, exit);
        Assert.Equal($"error: {input}: no events (the file has a header line but no data rows)", error.Trim());
        Assert.False(File.Exists(Path.Combine(_tmp.File("d"), DatasetHeader.FileName)));
    }

    [Fact]
    public void Prepare_BadRowWithFailPolicy_ExitsNonZeroNamingLine()
    {
        string input = _tmp.WriteText("b.csv", new EventsCsv().Many(1, 1, 60) + "1,oops,1600000000000\n");
        var (exit, error) = Run(PrepareCommand.Create(), "--input", input, "--out", _tmp.File("d"), "--on-bad-row", "fail");
        Assert.Equal(1, exit);
        Assert.Contains("line 62: item_id 'oops' is not an integer id", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Prepare_GoodFileWarm_ExitsZeroAndWritesDataset()
    {
        var csv = new EventsCsv();
        for (int u = 0; u < 5; u++)
        {
            csv.Many(u, 3, 10, EventsCsv.T0 + u * 1000);
        }
        string input = _tmp.WriteText("g.csv", csv + "x,1,2\n");
        string dir = _tmp.File("d");
        var (exit, error) = Run(PrepareCommand.Create(), "--input", input, "--out", dir, "--split", "warm");
        Assert.Equal(0, exit);
        Assert.Contains("skipped 1 bad rows", error);
        using var ds = PreparedDataset.Open(dir);
        Assert.Equal("warm", ds.Header.Split);
        Assert.Equal(50, ds.EventCount);
    }

    [Fact]
    public void Prepare_SplitWithCatalogFrom_ExitsNonZero()
    {
        var (exit, error) = Run(PrepareCommand.Create(), "--input", "x.csv", "--out", _tmp.File("d"), "--split", "warm", "--catalog-from", _tmp.File("d0"));
        Assert.Equal(1, exit);
        Assert.Contains("exclude each other", error);
    }

    [Fact]
    public void Prepare_UnknownSplit_ExitsNonZero()
    {
        var (exit, _) = Run(PrepareCommand.Create(), "--input", "x.csv", "--out", _tmp.File("d"), "--split", "sideways");
        Assert.NotEqual(0, exit);
    }

    [Fact]
    public void Generate_ThenPrepareWithImpressionsAndItems_RoundTrips()
    {
        string gen = _tmp.File("gen");
        var (exit, error) = Run(GenerateCommand.Create(), "--out", gen, "--users", "400", "--items", "60", "--dim", "4", "--topics", "6", "--seed", "3");
        Assert.True(exit == 0, error);
        string dir = _tmp.File("d");
        (exit, error) = Run(PrepareCommand.Create(), "--input", Path.Combine(gen, "events.csv.gz"), "--out", dir,
            "--impressions-col", "impressions", "--items", Path.Combine(gen, "items.csv.gz"));
        Assert.True(exit == 0, error);
        using var ds = PreparedDataset.Open(dir);
        Assert.Equal(60, ds.ItemCount);
        Assert.Equal(4, ds.ItemFeatureDim);
        Assert.True(ds.HasImpressions);
    }

    [Fact]
    public void Generate_InvalidDim_ExitsNonZeroNamingOption()
    {
        var (exit, error) = Run(GenerateCommand.Create(), "--out", _tmp.File("g"), "--dim", "1000");
        Assert.Equal(1, exit);
        Assert.Contains("--dim must be 2..512", error);
    }

    /// <summary>Model options the command line leaves out come from the model kind's defaults (HierTCN's, HierGRU's and
    /// HRNN's dropout 0.3, 0.2 and 0.2, the flat GRU's and the flat TCN's 0.2), and one given explicitly, 0 included, wins.
    /// HierGRU's low level is 256 wide, every other model's 128. The run's patience defaults to 3 (every figure in
    /// bench/RESULTS.md's accuracy tables was trained with it), its weight decay to 0, and the decay rule's minimum gain
    /// to the model kind's (HierTCN and HierGRU 0.003, the others 0).</summary>
    [Theory]
    [InlineData("hiertcn", null, 0.3)]
    [InlineData("hiertcn", "0", 0.0)]
    [InlineData("hiergru", null, 0.2)]
    [InlineData("hrnn", null, 0.2)]
    [InlineData("hrnn", "0", 0.0)]
    [InlineData("gru", null, 0.2)]
    [InlineData("tcn", null, 0.2)]
    [InlineData("tcn", "0", 0.0)]
    public void Train_DropoutDefault_ComesFromTheModelKind(string model, string? dropout, double expected)
    {
        string data = SmallPreparedData();
        string run = _tmp.File("run");
        var args = new List<string> { "--data", data, "--model", model, "--out", run, "--epochs", "1", "--max-train-users", "10",
            "--skip-validation", "--no-final-eval", "--threads", "1" };
        if (dropout is not null)
        {
            args.AddRange(["--dropout", dropout]);
        }
        var (exit, error) = Run(TrainCommand.Create(), [.. args]);
        Assert.True(exit == 0, error);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(expected, config.RootElement.GetProperty("training").GetProperty("model").GetProperty("dropout").GetDouble(), 6);
        Assert.Equal(model == "hiertcn", config.RootElement.GetProperty("training").GetProperty("model").GetProperty("tcn_session_mean").GetBoolean());
        Assert.Equal(model == "hiertcn", config.RootElement.GetProperty("training").GetProperty("model").GetProperty("high_skip").GetBoolean());
        Assert.Equal(model is "hiertcn" or "hiergru", config.RootElement.GetProperty("training").GetProperty("model").GetProperty("item_skip").GetBoolean());
        Assert.Equal(model is "hiertcn" or "hiergru", config.RootElement.GetProperty("training").GetProperty("model").GetProperty("mean_skip").GetBoolean());
        Assert.Equal(3, config.RootElement.GetProperty("training").GetProperty("patience").GetInt32());
        Assert.Equal(model == "hiergru" ? 256 : 128, config.RootElement.GetProperty("training").GetProperty("model").GetProperty("low_hidden").GetInt32());
        Assert.Equal(0.0, config.RootElement.GetProperty("training").GetProperty("weight_decay").GetDouble());
        Assert.Equal(model is "hiertcn" or "hiergru" ? 0.003 : 0.0, config.RootElement.GetProperty("training").GetProperty("lr_decay_min_gain").GetDouble(), 9);
    }

    /// <summary>An explicit <c>--lr-decay-min-gain</c> wins over the model kind's default, 0 included.</summary>
    [Theory]
    [InlineData("hiertcn", "0", 0.0)]
    [InlineData("hiergru", "0.01", 0.01)]
    [InlineData("gru", "0.003", 0.003)]
    public void Train_LrDecayMinGain_ReachesTheRunConfig(string model, string gain, double expected)
    {
        string data = SmallPreparedData();
        string run = _tmp.File("run");
        var (exit, error) = Run(TrainCommand.Create(), "--data", data, "--model", model, "--out", run, "--epochs", "1", "--max-train-users", "10",
            "--skip-validation", "--no-final-eval", "--threads", "1", "--lr-decay-min-gain", gain);
        Assert.True(exit == 0, error);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(expected, config.RootElement.GetProperty("training").GetProperty("lr_decay_min_gain").GetDouble(), 9);
    }

    /// <summary><c>--item-skip</c> and <c>--mean-skip</c> reach the run's configuration (an explicit value wins over the
    /// kind's default, false included), and a model other than HierTCN and HierGRU refuses them before training, as
    /// HierTCN refuses the mean skip without the session mean.</summary>
    [Theory]
    [InlineData("hiertcn", "item", "false", 0)]
    [InlineData("hiergru", "item", "true", 0)]
    [InlineData("hrnn", "item", "true", 1)]
    [InlineData("hiertcn", "mean", "false", 0)]
    [InlineData("hiergru", "mean", "true", 0)]
    [InlineData("gru", "mean", "true", 1)]
    public void Train_ItemAndMeanSkip_AreRecordedOrRefused(string model, string skip, string value, int expectedExit)
    {
        string data = SmallPreparedData();
        string run = _tmp.File("run");
        var (exit, error) = Run(TrainCommand.Create(), "--data", data, "--model", model, "--out", run, "--epochs", "1", "--max-train-users", "10",
            "--skip-validation", "--no-final-eval", "--threads", "1", $"--{skip}-skip", value);
        Assert.Equal(expectedExit, exit);
        if (exit != 0)
        {
            Assert.Contains($"{skip}_skip", error);
            Assert.False(File.Exists(Path.Combine(run, "model.bin")));
            return;
        }
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(bool.Parse(value), config.RootElement.GetProperty("training").GetProperty("model").GetProperty($"{skip}_skip").GetBoolean());
    }

    [Fact]
    public void Train_MeanSkipWithoutTheSessionMean_IsRefusedBeforeTraining()
    {
        string data = SmallPreparedData();
        string run = _tmp.File("run");
        var (exit, error) = Run(TrainCommand.Create(), "--data", data, "--model", "hiertcn", "--out", run, "--epochs", "1", "--max-train-users", "10",
            "--skip-validation", "--no-final-eval", "--threads", "1", "--mean-skip", "true", "--tcn-session-mean", "false");
        Assert.NotEqual(0, exit);
        Assert.Contains("mean_skip", error);
        Assert.Contains("tcn_session_mean", error);
        Assert.False(File.Exists(Path.Combine(run, "model.bin")));
    }

    /// <summary>Turning HierTCN's session mean off turns its default mean skip off with it (and leaves the item skip on),
    /// rather than refusing an option the user never gave.</summary>
    [Fact]
    public void Train_HierTcnWithoutTheSessionMean_DropsTheDefaultMeanSkip()
    {
        string data = SmallPreparedData();
        string run = _tmp.File("run");
        var (exit, error) = Run(TrainCommand.Create(), "--data", data, "--model", "hiertcn", "--out", run, "--epochs", "1", "--max-train-users", "10",
            "--skip-validation", "--no-final-eval", "--threads", "1", "--tcn-session-mean", "false");
        Assert.True(exit == 0, error);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        var model = config.RootElement.GetProperty("training").GetProperty("model");
        Assert.False(model.GetProperty("tcn_session_mean").GetBoolean());
        Assert.False(model.GetProperty("mean_skip").GetBoolean());
        Assert.True(model.GetProperty("item_skip").GetBoolean());
    }

    /// <summary><c>--high-dropout</c> reaches the run's configuration (unset by default: the high level drops at
    /// <c>--dropout</c>), and a model without a high level refuses it before training.</summary>
    [Theory]
    [InlineData("hiertcn", "0.1", 0)]
    [InlineData("hiergru", null, 0)]
    [InlineData("gru", "0.1", 1)]
    public void Train_HighDropout_IsRecordedOrRefused(string model, string? highDropout, int expectedExit)
    {
        string data = SmallPreparedData();
        string run = _tmp.File("run");
        var args = new List<string> { "--data", data, "--model", model, "--out", run, "--epochs", "1", "--max-train-users", "10",
            "--skip-validation", "--no-final-eval", "--threads", "1" };
        if (highDropout is not null)
        {
            args.AddRange(["--high-dropout", highDropout]);
        }
        var (exit, error) = Run(TrainCommand.Create(), [.. args]);
        Assert.Equal(expectedExit, exit);
        if (exit != 0)
        {
            Assert.Contains("high_dropout", error);
            Assert.False(File.Exists(Path.Combine(run, "model.bin")));
            return;
        }
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        var recorded = config.RootElement.GetProperty("training").GetProperty("model").GetProperty("high_dropout");
        if (highDropout is null)
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Null, recorded.ValueKind);
        }
        else
        {
            Assert.Equal(double.Parse(highDropout, System.Globalization.CultureInfo.InvariantCulture), recorded.GetDouble(), 6);
        }
    }

    /// <summary><c>--label-smoothing</c> reaches the run's configuration; out of range, or with a loss other than the
    /// full-catalogue cross-entropy, it is refused before training.</summary>
    [Theory]
    [InlineData("0.1", "cross-entropy", 0)]
    [InlineData("1", "cross-entropy", 1)]
    [InlineData("0.1", "bpr", 1)]
    public void Train_LabelSmoothing_IsRecordedOrRefused(string smoothing, string loss, int expectedExit)
    {
        string data = SmallPreparedData();
        string run = _tmp.File("run");
        var (exit, error) = Run(TrainCommand.Create(), "--data", data, "--model", "hiertcn", "--out", run, "--epochs", "1", "--max-train-users", "10",
            "--skip-validation", "--no-final-eval", "--threads", "1", "--loss", loss, "--label-smoothing", smoothing);
        Assert.Equal(expectedExit, exit);
        if (exit != 0)
        {
            Assert.Contains("--label-smoothing", error);
            Assert.False(File.Exists(Path.Combine(run, "model.bin")));
            return;
        }
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(0.1, config.RootElement.GetProperty("training").GetProperty("loss").GetProperty("label_smoothing").GetDouble(), 6);
    }

    /// <summary>Without <c>--label-smoothing</c>, every model kind trains with 0.1 when the loss is the full-catalogue
    /// cross-entropy and with 0 under every other loss (which would refuse a non-zero value), and the run's configuration
    /// records the value used.</summary>
    [Theory]
    [InlineData("hiertcn", "cross-entropy", false, 0.1)]
    [InlineData("hiergru", "cross-entropy", false, 0.1)]
    [InlineData("hrnn", "cross-entropy", false, 0.1)]
    [InlineData("gru", "cross-entropy", false, 0.1)]
    [InlineData("tcn", "cross-entropy", false, 0.1)]
    [InlineData("hiertcn", "cross-entropy", true, 0.0)]
    [InlineData("hiertcn", "bpr", false, 0.0)]
    [InlineData("gru", "l2", false, 0.0)]
    public void Train_LabelSmoothingDefault_FollowsTheLoss(string model, string loss, bool sampledSoftmax, double expected)
    {
        string data = SmallPreparedData();
        string run = _tmp.File("run");
        string[] args = ["--data", data, "--model", model, "--out", run, "--epochs", "1", "--max-train-users", "10",
            "--skip-validation", "--no-final-eval", "--threads", "1", "--loss", loss, .. (sampledSoftmax ? new[] { "--sampled-softmax" } : [])];
        var (exit, error) = Run(TrainCommand.Create(), args);
        Assert.True(exit == 0, error);
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(expected, config.RootElement.GetProperty("training").GetProperty("loss").GetProperty("label_smoothing").GetDouble(), 6);
    }

    [Theory]
    [InlineData("-0.1")]
    [InlineData("1000")]
    public void Train_BadWeightDecay_ExitsNonZeroNamingOption(string decay)
    {
        string data = SmallPreparedData();
        string run = _tmp.File("run");
        var (exit, error) = Run(TrainCommand.Create(), "--data", data, "--model", "hiertcn", "--out", run, "--epochs", "1", "--weight-decay", decay, "--threads", "1");
        Assert.Equal(1, exit);
        Assert.Contains("--weight-decay", error);
        Assert.False(File.Exists(Path.Combine(run, "model.bin")));
    }

    /// <summary><c>report-table</c> names a run trained with the recent-popularity prior "hiertcn+prior", so a table of
    /// both (bench/trainer/table2.sh) tells the rows apart.</summary>
    [Fact]
    public void ReportTable_PriorRun_IsNamedWithPrior()
    {
        string data = SmallPreparedData();
        var reports = new List<string>();
        foreach (bool prior in new[] { false, true })
        {
            string run = _tmp.File(prior ? "prior" : "plain");
            var (exit, error) = Run(TrainCommand.Create(), "--data", data, "--model", "hiertcn", "--recent-pop-prior", prior ? "true" : "false", "--out", run,
                "--epochs", "1", "--max-train-users", "10", "--skip-validation", "--threads", "1");
            Assert.True(exit == 0, error);
            reports.Add(Path.Combine(run, "report.test.json"));
        }
        var saved = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            var (exit, error) = Run(ReportTableCommand.Create(), [.. reports]);
            Assert.True(exit == 0, error);
        }
        finally
        {
            Console.SetOut(saved);
        }
        var rows = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2).Select(l => l.Split('|')[1].Trim()).ToList();
        Assert.Equal(["hiertcn", "hiertcn+prior"], rows);
    }
}
