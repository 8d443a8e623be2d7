using System.Diagnostics;
using System.Text.Json;
using HierTcn.Data.Synthetic.Internal;

namespace HierTcn.Data.Synthetic;

/// <summary>
/// Writes a synthetic dataset (see <see cref="SyntheticOptions"/>) to a directory: <c>events.csv.gz</c>
/// (<c>user_id,item_id,timestamp_ms,impressions</c>, sorted by user then time; impressions are the shown item ids
/// separated by spaces, the clicked one among them), <c>items.csv.gz</c> (<c>item_id,f0..f{d-1}</c>) and
/// <c>synthetic.json</c> (options and counts); with <see cref="SyntheticOptions.NewItems"/>, also
/// <c>published.csv.gz</c> (<c>item_id,published_ms</c>). Streams: only the item table (Items x Dim floats) and one user's state
/// are in memory, whatever the number of users. Each file is written under a temporary name and renamed when
/// complete. Deterministic: the same options give byte-identical files.
/// </summary>
public static class SyntheticGenerator
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Generates into <paramref name="outputDirectory"/> (created). <paramref name="progress"/> gets the share of
    /// users done. Throws <see cref="UserInputException"/> for invalid options.</summary>
    public static SyntheticSummary Generate(string outputDirectory, SyntheticOptions options, IProgress<double>? progress = null)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(outputDirectory);
        var space = new ItemSpace(options);
        string itemsPath = Path.Combine(outputDirectory, SyntheticSummary.ItemsFileName);
        string eventsPath = Path.Combine(outputDirectory, SyntheticSummary.EventsFileName);

        using (var items = new CsvTextWriter(itemsPath))
        {
            items.Text("item_id");
            for (int j = 0; j < options.Dim; j++)
            {
                items.Text(",f");
                items.Number(j);
            }
            items.EndLine();
            for (int i = 0; i < options.Items; i++)
            {
                items.Number(i);
                foreach (float f in space.Feature(i))
                {
                    items.Char(',');
                    items.Number(f);
                }
                items.EndLine();
            }
            items.Commit();
        }

        string? publishedPath = null;
        if (space.StartItems < options.Items)
        {
            publishedPath = Path.Combine(outputDirectory, SyntheticSummary.PublishedFileName);
            using var published = new CsvTextWriter(publishedPath);
            published.Text("item_id,published_ms");
            published.EndLine();
            for (int i = 0; i < options.Items; i++)
            {
                published.Number(i);
                published.Char(',');
                published.Number(space.Published[i]);
                published.EndLine();
            }
            published.Commit();
        }

        var sim = new UserSimulator(options, space);
        long textBytes;
        using (var events = new CsvTextWriter(eventsPath))
        {
            events.Text("user_id,item_id,timestamp_ms,impressions");
            events.EndLine();
            int every = Math.Max(1, options.Users / 100);
            for (int u = 0; u < options.Users; u++)
            {
                sim.Simulate(u, events);
                if ((u + 1) % every == 0)
                {
                    progress?.Report((double)(u + 1) / options.Users);
                }
            }
            events.Commit();
            textBytes = events.TextBytes;
        }

        var summary = new SyntheticSummary
        {
            Options = options,
            EventsPath = eventsPath,
            ItemsPath = itemsPath,
            PublishedPath = publishedPath,
            Events = sim.Events,
            Sessions = sim.Sessions,
            ImpressionIds = sim.ImpressionIds,
            EventsTextBytes = textBytes,
            Seconds = clock.Elapsed.TotalSeconds,
        };
        string json = Path.Combine(outputDirectory, SyntheticSummary.FileName);
        string tmp = json + $".tmp-{Environment.ProcessId}";
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(summary, s_json));
        File.Move(tmp, json, overwrite: true);
        return summary;
    }
}
