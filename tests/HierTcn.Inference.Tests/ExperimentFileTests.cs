using HierTcn.Inference.V1;
using static HierTcn.Inference.Tests.ScriptedEngine;

namespace HierTcn.Inference.Tests;

/// <summary>The A/B experiment from a watched file (the chart's experiment ConfigMap): applied at start, changes
/// applied without a restart, a bad change refused (log line and metric) while the arms in use keep serving.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class ExperimentFileTests(ServedModelFixture model) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hiertcn-experiment-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File => Path.Combine(_dir, "experiment.json");

    private Dictionary<string, string?> Settings() => new()
    {
        ["Recommender:Models:0:Version"] = null,
        ["Recommender:Models:0:Weight"] = null,
        ["RecommenderServer:ExperimentFile"] = File,
        ["RecommenderServer:ExperimentFilePollInterval"] = "00:00:00.050",
    };

    /// <summary>Replaces the file the way a ConfigMap volume does: new content appears whole (a rename).</summary>
    private void Write(string json)
    {
        string next = File + ".next";
        System.IO.File.WriteAllText(next, json);
        System.IO.File.Move(next, File, overwrite: true);
    }

    private static async Task<double> RejectionsAsync(TestServer server)
    {
        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{server.MetricsPort}/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("hiertcn_inference_experiment_file_rejections_total ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task ExperimentFile_ChangedThenBroken_NewArmsServedThenKept()
    {
        Write("""{"experimentSalt": "file-salt", "models": [{"version": "v1", "weight": 1}]}""");
        await using var server = await TestServer.StartAsync(model, Settings());
        Assert.Equal(["v1"], server.Engine.Versions);
        Assert.Equal("file-salt", server.Engine.ExperimentSalt);

        Write("""{"experimentSalt": "file-salt", "models": [{"version": "v1", "weight": 50}, {"version": "v2", "weight": 50}]}""");
        await WaitUntil(() => server.Engine.Versions.Count == 2, "v2 loaded from the changed file");
        var users = Enumerable.Range(0, 200).Select(u => (long)u).ToArray();
        var assigned = users.Select(server.Engine.AssignedVersion).ToArray();
        Assert.InRange(assigned.Count(v => v == "v2"), 70, 130);
        Assert.Equal("v2", (await server.Client.RecommendAsync(new RecommendRequest
        {
            UserId = users.First(u => assigned[u] == "v2"),
            K = 1,
        })).ModelVersion);

        foreach (string bad in new[]
        {
            """{"experimentSalt": "file-salt", "models": [{"version": "v1", "weight": 50}, """,                    // cut short
            """{"experimentSalt": "file-salt", "models": [{"version": "v1", "weight": -1}]}""",                    // bad weight
            """{"experimentSalt": "file-salt", "models": [{"version": "v1", "weight": 1}, {"version": "v9", "weight": 1}]}""", // no bundle
        })
        {
            double before = await RejectionsAsync(server);
            Write(bad);
            await WaitUntil(() => RejectionsAsync(server).GetAwaiter().GetResult() > before, "the bad file counted as refused");
            Assert.Equal(["v1", "v2"], server.Engine.Versions.Order());
            Assert.Equal(assigned, users.Select(server.Engine.AssignedVersion));
        }
    }

    [Fact]
    public async Task ExperimentFile_BadAtStart_StartRefusedNamingTheProblem()
    {
        Write("""{"experimentSalt": "", "models": []}""");
        // With no arms the Recommender section is invalid too: the start reports both.
        var e = await Assert.ThrowsAsync<AggregateException>(() => TestServer.StartAsync(model, Settings()));
        Assert.Contains("experimentSalt is missing or empty", e.Message);
        Assert.Contains("experiment.json", e.Message);
    }

    [Fact]
    public async Task ExperimentFile_AndModelsInConfiguration_StartRefused()
    {
        Write("""{"experimentSalt": "s", "models": [{"version": "v1", "weight": 1}]}""");
        var settings = Settings();
        settings.Remove("Recommender:Models:0:Version");
        var e = await Assert.ThrowsAsync<AggregateException>(() => TestServer.StartAsync(model, settings));
        Assert.Contains("in one place", e.Message);
    }
}
